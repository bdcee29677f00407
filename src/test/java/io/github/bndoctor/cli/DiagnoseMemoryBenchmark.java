package io.github.bndoctor.cli;

import io.github.bndoctor.testkit.RecordWriter;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.io.NpyBytes;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.deeplearning4j.zoo.model.ResNet50;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Peak memory (resident set: heap and ND4J's off-heap arrays) of {@code diagnose --model} against
 * {@code recalibrate} on the same files, and of {@code diagnose} with a doubled probe, on DL4J's zoo
 * ResNet50 (53 BN layers) at 3x96x96, each command in its own JVM, measured in one run and printed
 * as ratios. Diagnose measures its probe chunk by chunk at the batch size, so its peak must stay
 * within twice recalibrate's and must not grow with the probe. Run with {@code mvn test -Pbench}.
 */
@Tag("bench")
class DiagnoseMemoryBenchmark {
    private static final int SIZE = 96;
    private static final int EXAMPLES = 96;
    private static final int PROBE = 48;

    @TempDir
    Path dir;

    private long peakKb(String... args) throws IOException, InterruptedException {
        Path peak = dir.resolve("peak-" + System.nanoTime());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-Dbndoctor.peakFile=" + peak, "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                PeakMemoryMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).inheritIO();
        pb.environment().put("OMP_NUM_THREADS", "1");
        // both commands run on a model: the environment they restart themselves with (Relaunch)
        pb.environment().putAll(io.github.bndoctor.backend.NativeMemorySettings.ENVIRONMENT);
        Process p = pb.start();
        assertThat(p.waitFor(20, TimeUnit.MINUTES)).as("finished").isTrue();
        assertThat(p.exitValue()).as(String.join(" ", args)).isIn(Main.OK, Main.GATE_FAILED);
        return Long.parseLong(Files.readString(peak).strip());
    }

    @Test
    void diagnosePeakFollowsTheBatchNotTheProbe() throws Exception {
        ComputationGraph net = ResNet50.builder().inputShape(new int[] {3, SIZE, SIZE}).numClasses(10).build().init();
        int bnLayers = BnNetwork.of(net).bnLayers().size();
        Path model = dir.resolve("resnet50.zip");
        ModelSerializer.writeModel(net, model.toFile(), false);
        Random r = new Random(1);
        int per = 3 * SIZE * SIZE;
        float[] v = new float[EXAMPLES * per];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        Path x = NpyBytes.write(dir.resolve("x.npy"), 1, NpyBytes.header("<f4", false, "(" + EXAMPLES + ", 3, " + SIZE
                + ", " + SIZE + ")"), NpyBytes.float32(v, EXAMPLES, per, ByteOrder.LITTLE_ENDIAN, false));

        String samples = String.valueOf(PROBE);
        long recalibrate = peakKb("recalibrate", "--model", model.toString(), "--data", x.toString(), "--out",
                dir.resolve("out.zip").toString(), "--samples", samples, "--batch", "16");
        long diagnose = peakKb("diagnose", "--model", model.toString(), "--data", x.toString(), "--samples", samples,
                "--probe-size", String.valueOf(PROBE), "--batch", "16");
        long doubled = peakKb("diagnose", "--model", model.toString(), "--data", x.toString(), "--samples", samples,
                "--probe-size", String.valueOf(2 * PROBE), "--batch", "16");
        try (RecordWriter.Section record = RecordWriter.section("DiagnoseMemoryBenchmark")) {
            System.out.printf(Locale.ROOT, "ResNet50 %dx%d, %d BN layers, batch 16: peak RSS recalibrate %d MB, diagnose"
                            + " (probe %d) %d MB, diagnose (probe %d) %d MB%n", SIZE, SIZE, bnLayers, recalibrate / 1024, PROBE,
                    diagnose / 1024, 2 * PROBE, doubled / 1024);
            System.out.printf(Locale.ROOT, "peak ratio diagnose/recalibrate = %.2f (bound 2); diagnose probe x2 / probe x1 ="
                    + " %.2f (bound < 2; ~1 when chunked)%n", diagnose / (double) recalibrate, doubled / (double) diagnose);
        }
        assertThat(bnLayers).isGreaterThanOrEqualTo(50);
        assertThat(diagnose).isLessThanOrEqualTo(2 * recalibrate);
        assertThat(doubled).isLessThan(2 * diagnose);
    }
}
