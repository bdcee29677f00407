package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Speed of one seed-scenario training iteration under different native thread settings, measured
 * in one run.
 *
 * <p>{@code OMP_NUM_THREADS} is read once per JVM, so each setting runs {@link ScenarioSpeedProbe}
 * in a child JVM; settings are interleaved (1, 2, 1, 2, ...) so that load from other processes on
 * the shared machine hits both, and the best round per setting is reported with the ratio.
 * Run with {@code mvn test -Pbench}.
 */
@Tag("bench")
final class ScenarioSpeedBenchmark {

    private static final int ROUNDS = 2;
    private static final int ITERATIONS = 60;

    @Test
    void msPerIterationByThreadSetting() throws Exception {
        String[] settings = {"1", "2"};
        Map<String, List<Double>> ms = new TreeMap<>();
        for (int round = 0; round < ROUNDS; round++) {
            for (String threads : settings) {
                ms.computeIfAbsent(threads, t -> new ArrayList<>()).add(measure(threads));
            }
        }
        double one = ms.get("1").stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double two = ms.get("2").stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        System.out.println(String.format(Locale.ROOT,
                "ScenarioSpeedBenchmark: OMP_NUM_THREADS=1 %.1f ms/iteration (rounds %s), OMP_NUM_THREADS=2 %.1f ms/iteration"
                        + " (rounds %s), ratio 2-thread/1-thread %.2f, cores %d",
                one, ms.get("1"), two, ms.get("2"), two / one, Runtime.getRuntime().availableProcessors()));
        assertThat(one).isPositive();
        assertThat(two).isPositive();
    }

    private static double measure(String threads) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", cp, ScenarioSpeedProbe.class.getName(),
                Integer.toString(ITERATIONS));
        pb.environment().put("OMP_NUM_THREADS", threads);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        Double result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("ms/iteration=")) {
                    result = Double.parseDouble(line.substring("ms/iteration=".length()));
                }
            }
        }
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("child JVM exit code, OMP_NUM_THREADS=" + threads).isZero();
        assertThat(result).as("ms/iteration line from child, OMP_NUM_THREADS=" + threads).isNotNull();
        return result;
    }
}
