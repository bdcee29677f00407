package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bndoctor.backend.NativeSpeedSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link ScenarioSpeedProbe} in a child JVM (native thread counts and JavaCPP's limits are
 * read once per process) and returns its ms per training step. Shared by the speed benchmarks.
 */
final class SpeedProbeLauncher {

    /** JVM flags of the settings the benchmarks compare. */
    enum Settings {
        /** DL4J M2.1's defaults: JavaCPP's memory check on every allocation, no layer helpers. */
        PLAIN("-D" + NativeSpeedSettings.HELPERS_DISABLE_PROPERTY + "=true"),
        /** Only the memory check off. */
        NO_MEMORY_CHECK("-D" + NativeSpeedSettings.MAX_PHYSICAL_BYTES_PROPERTY + "=0",
                "-D" + NativeSpeedSettings.HELPERS_DISABLE_PROPERTY + "=true"),
        /** What the command line and the build's tests run: check off and oneDNN helpers on. */
        FAST("-D" + NativeSpeedSettings.MAX_PHYSICAL_BYTES_PROPERTY + "=0",
                "-D" + NativeSpeedSettings.HELPERS_DISABLE_PROPERTY + "=false");

        private final List<String> flags;

        Settings(String... flags) {
            this.flags = List.of(flags);
        }
    }

    private SpeedProbeLauncher() {
    }

    /**
     * @param settings JVM flags of the child
     * @param threads {@code OMP_NUM_THREADS} of the child
     * @param iterations timed training steps (after the probe's untimed warm-up)
     * @return ms per training step, data generation excluded
     */
    static double msPerStep(Settings settings, int threads, int iterations) throws IOException, InterruptedException {
        return valueAfter(output(settings, threads, iterations), "ms/iteration=");
    }

    /**
     * @param settings JVM flags of the child
     * @param threads {@code OMP_NUM_THREADS} of the child
     * @param iterations timed training steps
     * @return the probe's whole output ({@code ms/iteration=}, {@code opsPerStep=},
     *     {@code trivialOpMicros=}, {@code opFloorMs=} lines)
     */
    static String output(Settings settings, int threads, int iterations) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx2g"));
        cmd.addAll(settings.flags);
        cmd.addAll(List.of("-cp", cp, ScenarioSpeedProbe.class.getName(), Integer.toString(iterations)));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.append(line).append('\n');
            }
        }
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("speed probe exit code (%s, %d threads), output:%n%s", settings, threads, out).isZero();
        return out.toString();
    }

    /**
     * @param output a child's output
     * @param key the prefix of the line to read, e.g. {@code "ms/step="}
     * @return the number after the last line starting with {@code key}
     */
    static double valueAfter(String output, String key) {
        return output.lines().filter(l -> l.startsWith(key)).map(l -> Double.parseDouble(l.substring(key.length()).trim()))
                .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no '" + key + "' line in:\n" + output));
    }
}
