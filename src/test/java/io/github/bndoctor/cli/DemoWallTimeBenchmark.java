package io.github.bndoctor.cli;

import io.github.bndoctor.testkit.RecordWriter;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wall time of the README's first command, {@code bn-doctor diagnose} without options (the default
 * demo: the collapse preset and its fixes), in a fresh JVM as the README starts it ({@code -Xmx1g}): the command line's
 * own native settings, no {@code OMP_NUM_THREADS} in the environment. Prints the time with the
 * demo's table; the demo must exit 0 (every fix passed) with the seed run at verdict EMA_LAG.
 */
@Tag("bench")
final class DemoWallTimeBenchmark {

    @Test
    void defaultDemoWallTime(@TempDir Path dir) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx1g", "-cp", cp, Main.class.getName(), "diagnose", "--report",
                dir.resolve("report").toString())).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("OMP_NUM_THREADS");
        long t0 = System.nanoTime();
        Process p = pb.start();
        assertThat(p.waitFor(15, TimeUnit.MINUTES)).as("demo finished within 15 minutes").isTrue();
        double seconds = (System.nanoTime() - t0) / 1e9;
        String table = Files.readString(out, StandardCharsets.UTF_8);
        try (RecordWriter.Section record = RecordWriter.section("DemoWallTimeBenchmark")) {
            System.out.println(String.format(Locale.ROOT, "DemoWallTimeBenchmark: bn-doctor diagnose (default demo) took"
                    + " %.1f s wall, %d cores, exit %d%n%s", seconds, Runtime.getRuntime().availableProcessors(),
                    p.exitValue(), table));
        }
        assertThat(p.exitValue()).as("demo exit code; stderr tail:%n%s", tail(err)).isEqualTo(Main.OK);
        assertThat(table).contains("EMA_LAG").contains("PASS: every fix passes the gate");
    }

    private static String tail(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
    }
}
