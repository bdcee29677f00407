package io.github.bndoctor.cli;

import io.github.bndoctor.testkit.FullMobileNetV2;
import io.github.bndoctor.testkit.RecordWriter;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code recalibrate} against PyTorch's {@code torch.optim.swa_utils.update_bn} on the same full-width
 * MobileNetV2 ({@link FullMobileNetV2}, 3x96x96, 512 examples) at batch 8 and 64: whole-process wall
 * time and peak RSS of each, run back to back, printed as ratios and appended to docs/record.md.
 * bn-doctor runs in a child JVM with the default heap; PyTorch runs
 * {@code src/test/resources/bench/update_bn_mobilenetv2.py} with {@code python3} (Debian's first; skipped without
 * torch). Run with {@code mvn test -Pbench -Dtest=RecalibrateSpeedBenchmark}.
 */
@Tag("bench")
final class RecalibrateSpeedBenchmark {
    private static final Path DIR = Path.of("target", "recalibrate-speed");
    private static final int EXAMPLES = 512;
    /** Debian's interpreter, where python3-torch installs, else the first python3 on the path. */
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    /** Wall seconds and peak kB of one process. */
    private record Run(double seconds, long peakKb) {
    }

    private static Run run(List<String> cmd, Path peakFile) throws IOException, InterruptedException {
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(DIR.resolve("child.log").toFile());
        // the environment the command line restarts itself with (Relaunch)
        pb.environment().putAll(io.github.bndoctor.backend.NativeMemorySettings.ENVIRONMENT);
        Process p = pb.start();
        long peak = -1;
        while (!p.waitFor(50, TimeUnit.MILLISECONDS)) {
            peak = Math.max(peak, hwm(p.pid()));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(p.exitValue()).as(cmd + ": " + Files.readString(DIR.resolve("child.log"))).isZero();
        if (peakFile != null) {
            peak = Long.parseLong(Files.readString(peakFile).strip());
        }
        return new Run(seconds, peak);
    }

    /** VmHWM of a live process in kB, -1 once it is gone (polled: a peak between polls may be missed). */
    private static long hwm(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
                    .filter(l -> l.startsWith("VmHWM:")).mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .findFirst().orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    private static Run bnDoctor(int batch) throws IOException, InterruptedException {
        Path peak = DIR.resolve("peak-" + batch);
        return run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dbndoctor.peakFile=" + peak, "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                PeakMemoryMain.class.getName(), "recalibrate", "--model", DIR.resolve("mobilenetv2.zip").toString(),
                "--data", DIR.resolve("x.npy").toString(), "--out", DIR.resolve("out.zip").toString(), "--samples",
                String.valueOf(EXAMPLES), "--batch", String.valueOf(batch)), peak);
    }

    private static Run torch(int batch) throws IOException, InterruptedException {
        return run(List.of(PYTHON, Path.of("src", "test", "resources", "bench", "update_bn_mobilenetv2.py").toString(),
                DIR.resolve("x.npy").toString(), String.valueOf(batch)), null);
    }

    @Test
    void recalibrateAgainstUpdateBn() throws Exception {
        Process probe = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "python3 with torch");
        Files.createDirectories(DIR);
        ModelSerializer.writeModel(FullMobileNetV2.build(96, 1), DIR.resolve("mobilenetv2.zip").toFile(), true);
        Nd4j.getRandom().setSeed(7);
        Nd4j.writeAsNumpy(Nd4j.rand(DataType.FLOAT, EXAMPLES, 3, 96, 96), DIR.resolve("x.npy").toFile());
        List<String> lines = new ArrayList<>();
        double[] perExample = new double[2];
        int i = 0;
        for (int batch : new int[] {8, 64}) {
            Run t = torch(batch);
            Run b = bnDoctor(batch);
            perExample[i++] = b.seconds() / EXAMPLES;
            lines.add(String.format(Locale.ROOT, "batch %d: recalibrate %.1f s, %.1f examples/s, peak %d MB; update_bn %.1f s,"
                            + " %.1f examples/s, peak %d MB; throughput ratio %.2f, peak ratio %.2f", batch, b.seconds(),
                    EXAMPLES / b.seconds(), b.peakKb() / 1024, t.seconds(), EXAMPLES / t.seconds(), t.peakKb() / 1024,
                    t.seconds() / b.seconds(), b.peakKb() / (double) t.peakKb()));
        }
        try (RecordWriter.Section record = RecordWriter.section("RecalibrateSpeedBenchmark")) {
            System.out.println("full-width MobileNetV2 3x96x96, 512 examples, whole processes, default heap:");
            lines.forEach(System.out::println);
            System.out.printf(Locale.ROOT, "recalibrate seconds per example, batch 64 / batch 8: %.2f%n",
                    perExample[1] / perExample[0]);
        }
    }
}
