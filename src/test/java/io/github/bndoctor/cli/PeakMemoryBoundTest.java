package io.github.bndoctor.cli;

import io.github.bndoctor.testkit.FullMobileNetV2;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Peak resident memory (heap and ND4J's native arrays: {@code VmHWM}) of {@code recalibrate} and
 * {@code diagnose --model} on a full-width MobileNetV2 at 3x96x96 with a 16-heatmap head
 * ({@link FullMobileNetV2}, 2,278,480 parameters), each in a child JVM with the JVM's default heap
 * (no {@code -Xmx}: a quarter of the machine's memory), against an absolute bound.
 */
final class PeakMemoryBoundTest {
    /**
     * Twice PyTorch's peak for {@code torch.optim.swa_utils.update_bn} on the same network at batch 8
     * (whole process, 341 MB, docs/record.md), rounded up to whole MB.
     */
    private static final long BOUND_BATCH_8_KB = 2 * 341 * 1024;
    /** Twice PyTorch's peak for update_bn at batch 64 (546 MB, docs/record.md). */
    private static final long BOUND_BATCH_64_KB = 2 * 546 * 1024;
    private static final Path DIR = Path.of("target", "peak-memory");
    private static final int EXAMPLES = 64;

    @BeforeAll
    static void files() throws IOException {
        Files.createDirectories(DIR);
        if (!Files.exists(DIR.resolve("mobilenetv2.zip"))) {
            ComputationGraph net = FullMobileNetV2.build(96, 1);
            assertThat(net.numParams()).isEqualTo(FullMobileNetV2.PARAMETERS);
            ModelSerializer.writeModel(net, DIR.resolve("mobilenetv2.zip").toFile(), true);
        }
        Nd4j.getRandom().setSeed(3);
        Nd4j.writeAsNumpy(Nd4j.rand(DataType.FLOAT, EXAMPLES, 3, 96, 96), DIR.resolve("x.npy").toFile());
    }

    private static long peakKb(String... args) throws IOException, InterruptedException {
        Path peak = DIR.resolve("peak-" + System.nanoTime());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dbndoctor.peakFile=" + peak, "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                PeakMemoryMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(DIR.resolve("child.log").toFile());
        // the environment the command line restarts itself with (Relaunch)
        pb.environment().putAll(io.github.bndoctor.backend.NativeMemorySettings.ENVIRONMENT);
        Process p = pb.start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("finished").isTrue();
        assertThat(p.exitValue()).as(String.join(" ", args) + ": " + Files.readString(DIR.resolve("child.log")))
                .isIn(Main.OK, Main.GATE_FAILED);
        long kb = Long.parseLong(Files.readString(peak).strip());
        System.out.printf("peak RSS %d MB: %s%n", kb / 1024, String.join(" ", args));
        return kb;
    }

    private static String[] recalibrate(int batch) {
        return new String[] {"recalibrate", "--model", DIR.resolve("mobilenetv2.zip").toString(), "--data",
            DIR.resolve("x.npy").toString(), "--out", DIR.resolve("out.zip").toString(), "--samples",
            String.valueOf(EXAMPLES), "--batch", String.valueOf(batch)};
    }

    @Test
    void recalibrateStaysWithinTwiceUpdateBn() throws Exception {
        assertThat(peakKb(recalibrate(8))).isLessThanOrEqualTo(BOUND_BATCH_8_KB);
        assertThat(peakKb(recalibrate(64))).isLessThanOrEqualTo(BOUND_BATCH_64_KB);
    }

    @Test
    void diagnoseStaysWithinTwiceUpdateBn() throws Exception {
        long kb = peakKb("diagnose", "--model", DIR.resolve("mobilenetv2.zip").toString(), "--data",
                DIR.resolve("x.npy").toString(), "--samples", String.valueOf(EXAMPLES), "--probe-size", "32",
                "--batch", "8");
        assertThat(kb).isLessThanOrEqualTo(BOUND_BATCH_8_KB);
    }
}
