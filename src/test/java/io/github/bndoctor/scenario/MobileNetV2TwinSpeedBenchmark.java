package io.github.bndoctor.scenario;

import io.github.bndoctor.testkit.FullMobileNetV2;
import io.github.bndoctor.testkit.RecordWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One training step at the size users train: the full-width MobileNetV2 with a heatmap head
 * ({@link FullMobileNetV2}, 3x96x96, batch 8, Adam 1e-3) in DL4J ({@link MobileNetV2StepProbe}, a child
 * JVM with the command line's native settings) against the same network in PyTorch
 * ({@code src/test/resources/bench/train_step_mobilenetv2.py}, equal parameter count checked), each at
 * one and two native threads. Every round runs the four arms, in an order rotated from round to
 * round, so load from other processes falls on all of them. Prints each arm's rounds, the paired
 * ratios (DL4J over PyTorch at each thread count, best setting against best setting, two threads
 * over one on each side) with their intervals ({@link io.github.bndoctor.testkit.RoundRatio}), and
 * records them in docs/record.md. The seed twin ({@link SeedTwinSpeedBenchmark}) stays the record
 * of DL4J's per-op overhead on a small network. Needs {@code python3} with torch (Debian's
 * python3-torch); skipped without it. Run with {@code mvn test -Pbench -Dtest=MobileNetV2TwinSpeedBenchmark}.
 */
@Tag("bench")
final class MobileNetV2TwinSpeedBenchmark {
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    private static final Path TWIN = Path.of("src", "test", "resources", "bench", "train_step_mobilenetv2.py");
    private static final int ROUNDS = 5;
    private static final int STEPS = 6;
    /** Steps before the timed ones: the JVM's compiler threads share the cores with the native threads meanwhile. */
    private static final int WARM_UP = 20;
    private static final Pattern LINE = Pattern.compile("ms/step=([0-9.]+) params=([0-9]+) threads=([0-9]+)");
    private static final String[] ARMS = {"DL4J 1 thread", "DL4J 2 threads", "PyTorch 1 thread", "PyTorch 2 threads"};

    private static String run(List<String> cmd, int threads) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("%s%n%s", cmd, out).isZero();
        return out;
    }

    /** @return milliseconds per step of one arm, after checking its parameter count and threads */
    private static double step(int arm) throws IOException, InterruptedException {
        int threads = arm % 2 + 1;
        List<String> cmd = arm < 2
                ? List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                        MobileNetV2StepProbe.class.getName(), Integer.toString(threads), Integer.toString(STEPS),
                        Integer.toString(WARM_UP))
                : List.of(PYTHON, TWIN.toString(), Integer.toString(threads), Integer.toString(STEPS), Integer.toString(WARM_UP));
        String out = run(cmd, threads);
        Matcher m = LINE.matcher(out);
        assertThat(m.find()).as("result line in:%n%s", out).isTrue();
        assertThat(Long.parseLong(m.group(2))).as(ARMS[arm] + " parameters").isEqualTo(FullMobileNetV2.PARAMETERS);
        assertThat(Integer.parseInt(m.group(3))).as(ARMS[arm] + " threads").isEqualTo(threads);
        return Double.parseDouble(m.group(1));
    }

    private static long[] micros(double[] ms) {
        return Arrays.stream(ms).mapToLong(v -> Math.round(1000 * v)).toArray();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    @Test
    void trainingStepAtOneAndTwoThreads() throws Exception {
        Process probe = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "python3 with torch");
        double[][] ms = new double[ARMS.length][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            for (int k = 0; k < ARMS.length; k++) {
                int arm = (k + round) % ARMS.length;
                ms[arm][round] = step(arm);
            }
        }
        List<String> lines = new ArrayList<>();
        for (int arm = 0; arm < ARMS.length; arm++) {
            lines.add(String.format(Locale.ROOT, "%-18s median %6.1f ms/step, rounds %s", ARMS[arm], median(ms[arm]),
                    Arrays.toString(ms[arm])));
        }
        int bestDl4j = median(ms[1]) < median(ms[0]) ? 1 : 0;
        int bestTorch = median(ms[3]) < median(ms[2]) ? 3 : 2;
        lines.add("DL4J / PyTorch, 1 thread:       " + io.github.bndoctor.testkit.RoundRatio.of(micros(ms[0]), micros(ms[2])));
        lines.add("DL4J / PyTorch, 2 threads:      " + io.github.bndoctor.testkit.RoundRatio.of(micros(ms[1]), micros(ms[3])));
        lines.add("best / best (" + ARMS[bestDl4j] + " / " + ARMS[bestTorch] + "): "
                + io.github.bndoctor.testkit.RoundRatio.of(micros(ms[bestDl4j]), micros(ms[bestTorch])));
        lines.add("DL4J 2 threads / 1 thread:      " + io.github.bndoctor.testkit.RoundRatio.of(micros(ms[1]), micros(ms[0])));
        lines.add("PyTorch 2 threads / 1 thread:   " + io.github.bndoctor.testkit.RoundRatio.of(micros(ms[3]), micros(ms[2])));
        try (RecordWriter.Section record = RecordWriter.section("MobileNetV2TwinSpeedBenchmark")) {
            System.out.printf("%nMobileNetV2 twin, training step (3x96x96, batch 8, Adam 1e-3, %d params), %d rounds of %d"
                    + " steps, arms interleaved:%n", FullMobileNetV2.PARAMETERS, ROUNDS, STEPS);
            lines.forEach(l -> System.out.println("  " + l));
        }
    }
}
