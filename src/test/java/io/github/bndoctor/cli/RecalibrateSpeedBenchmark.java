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
 * time and peak RSS of each, in interleaved rounds ({@code -Dbench.rounds}, default 3), printed as
 * per-round ratios and appended to docs/record.md. bn-doctor's arms: one worker, and on a machine with
 * a second processor two workers with one and with two glibc arenas ({@code MALLOC_ARENA_MAX}).
 * bn-doctor runs in a child JVM with the default heap and the environment and JVM option the command line
 * restarts {@code recalibrate} with ({@link Relaunch}); PyTorch runs
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

    private static Run run(List<String> cmd, Path peakFile, String arenas) throws IOException, InterruptedException {
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(DIR.resolve("child.log").toFile());
        // the environment the command line restarts itself with (Relaunch), the arena count of the arm
        pb.environment().putAll(io.github.bndoctor.backend.NativeMemorySettings.ENVIRONMENT);
        if (arenas != null) {
            pb.environment().put("MALLOC_ARENA_MAX", arenas);
        }
        // each process at its own default thread count (the test JVM's OMP_NUM_THREADS=1 would hold PyTorch to one)
        pb.environment().remove("OMP_NUM_THREADS");
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

    /** A bn-doctor arm: {@code --workers} and the glibc arena count it runs with. */
    private record Arm(int workers, String arenas) {
        String label() {
            return "recalibrate --workers " + workers + ", MALLOC_ARENA_MAX=" + arenas;
        }
    }

    /** The arms: serial, and where there is a second processor two workers with one and with two arenas. */
    private static List<Arm> arms() {
        List<Arm> arms = new ArrayList<>(List.of(new Arm(1, "1")));
        if (Runtime.getRuntime().availableProcessors() >= 2) {
            arms.add(new Arm(2, "1"));
            arms.add(new Arm(2, "2"));
        }
        return arms;
    }

    private static Run bnDoctor(int batch, Arm arm) throws IOException, InterruptedException {
        Path peak = DIR.resolve("peak-" + batch);
        // the JVM option the command line restarts recalibrate with (Relaunch), as the environment in run
        return run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), Relaunch.RECALIBRATE_JIT,
                "-Dbndoctor.peakFile=" + peak, "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                PeakMemoryMain.class.getName(), "recalibrate", "--model", DIR.resolve("mobilenetv2.zip").toString(),
                "--data", DIR.resolve("x.npy").toString(), "--out", DIR.resolve("out.zip").toString(), "--samples",
                String.valueOf(EXAMPLES), "--batch", String.valueOf(batch), "--workers", String.valueOf(arm.workers())),
                peak, arm.arenas());
    }

    private static Run torch(int batch) throws IOException, InterruptedException {
        return run(List.of(PYTHON, Path.of("src", "test", "resources", "bench", "update_bn_mobilenetv2.py").toString(),
                DIR.resolve("x.npy").toString(), String.valueOf(batch)), null, null);
    }

    /** @return PyTorch's intra-op thread count in a process started as the torch arm is */
    private static String torchThreads() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-c", "import torch; print(torch.get_num_threads())")
                .redirectErrorStream(true);
        pb.environment().remove("OMP_NUM_THREADS");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        p.waitFor();
        return out;
    }

    private static double median(double[] v) {
        double[] r = v.clone();
        java.util.Arrays.sort(r);
        return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
    }

    private static String list(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", v[i]));
        }
        return b.append(']').toString();
    }

    @Test
    void recalibrateAgainstUpdateBn() throws Exception {
        Process probe = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "python3 with torch");
        Files.createDirectories(DIR);
        ModelSerializer.writeModel(FullMobileNetV2.build(96, 1), DIR.resolve("mobilenetv2.zip").toFile(), true);
        Nd4j.getRandom().setSeed(7);
        Nd4j.writeAsNumpy(Nd4j.rand(DataType.FLOAT, EXAMPLES, 3, 96, 96), DIR.resolve("x.npy").toFile());
        int rounds = Integer.getInteger("bench.rounds", 3);
        List<Arm> arms = arms();
        int[] batches = {8, 64};
        // seconds[batch][arm][round], arm 0 is update_bn; peak kB likewise
        double[][][] seconds = new double[batches.length][arms.size() + 1][rounds];
        double[][][] peaks = new double[batches.length][arms.size() + 1][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int bi = 0; bi < batches.length; bi++) {
                // the arms' order rotates from round to round
                for (int k = 0; k <= arms.size(); k++) {
                    int a = (k + r) % (arms.size() + 1);
                    Run run = a == 0 ? torch(batches[bi]) : bnDoctor(batches[bi], arms.get(a - 1));
                    seconds[bi][a][r] = run.seconds();
                    peaks[bi][a][r] = run.peakKb() / 1024.0;
                }
            }
        }
        List<String> lines = new ArrayList<>();
        for (int bi = 0; bi < batches.length; bi++) {
            lines.add(String.format(Locale.ROOT, "batch %d: update_bn median %.1f s (%.1f examples/s) %s s, peak %.0f MB",
                    batches[bi], median(seconds[bi][0]), EXAMPLES / median(seconds[bi][0]), list(seconds[bi][0]),
                    median(peaks[bi][0])));
            for (int a = 1; a <= arms.size(); a++) {
                double[] ratio = new double[rounds];
                double[] peakRatio = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratio[r] = seconds[bi][0][r] / seconds[bi][a][r];
                    peakRatio[r] = peaks[bi][a][r] / peaks[bi][0][r];
                }
                lines.add(String.format(Locale.ROOT, "  %s: median %.1f s (%.1f examples/s) %s s, peak %.0f MB %s;"
                                + " throughput over update_bn median %.2f %s, peak over update_bn median %.2f %s",
                        arms.get(a - 1).label(), median(seconds[bi][a]), EXAMPLES / median(seconds[bi][a]),
                        list(seconds[bi][a]), median(peaks[bi][a]), list(peaks[bi][a]), median(ratio), list(ratio),
                        median(peakRatio), list(peakRatio)));
            }
        }
        for (int a = 1; a <= arms.size(); a++) {
            double[] perExample = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                perExample[r] = seconds[1][a][r] / seconds[0][a][r];
            }
            lines.add(String.format(Locale.ROOT, "%s: seconds per example, batch 64 / batch 8, median %.2f %s",
                    arms.get(a - 1).label(), median(perExample), list(perExample)));
        }
        try (RecordWriter.Section record = RecordWriter.section("RecalibrateSpeedBenchmark")) {
            System.out.printf(Locale.ROOT, "full-width MobileNetV2 3x96x96, %d examples, whole processes, default heap,"
                    + " %d interleaved rounds (arm order rotated per round); PyTorch threads %s (test JVM's"
                    + " OMP_NUM_THREADS %s, not passed on):%n", EXAMPLES, rounds, torchThreads(),
                    System.getenv("OMP_NUM_THREADS"));
            lines.forEach(System.out::println);
        }
    }
}
