package io.github.bndoctor.cli;

import io.github.bndoctor.backend.NativeMemorySettings;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line's one restart with {@link NativeMemorySettings}: when it is wanted, what the child
 * runs, and, in real child JVMs, that the child gets the settings, does the work and hands back its
 * exit code and its one error line.
 */
class RelaunchTest {
    private static final String[] RECALIBRATE = {"recalibrate", "--model", "m.zip"};

    @TempDir
    Path dir;

    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void wantedOnlyForNetworkCommandsOnLinuxWithoutTheSettings() {
        assertThat(Relaunch.wanted(RECALIBRATE, env(), "Linux", null)).isTrue();
        assertThat(Relaunch.wanted(new String[] {"--threads", "2", "diagnose", "--model", "m.zip"}, env(), "Linux", null))
                .isTrue();
        assertThat(Relaunch.wanted(new String[] {"diagnose", "--model=m.zip"}, env(), "Linux", null)).isTrue();
        assertThat(Relaunch.wanted(new String[] {"diagnose", "--report", "r"}, env(), "Linux", null))
                .as("the built-in scenario").isFalse();
        assertThat(Relaunch.wanted(new String[] {"inspect", "--model", "m.zip"}, env(), "Linux", null)).isFalse();
        assertThat(Relaunch.wanted(new String[] {"--help"}, env(), "Linux", null)).isFalse();
        assertThat(Relaunch.wanted(RECALIBRATE, env(), "Mac OS X", null)).isFalse();
        assertThat(Relaunch.wanted(RECALIBRATE, env(), null, null)).isFalse();
        assertThat(Relaunch.wanted(RECALIBRATE, env(), "Linux", "false")).isFalse();
        assertThat(Relaunch.wanted(RECALIBRATE, env(), "Linux", "true")).isTrue();
        assertThat(Relaunch.wanted(RECALIBRATE, env(Relaunch.MARKER, "1"), "Linux", null)).as("never twice").isFalse();
    }

    @Test
    void aUsersOwnValuesCountOnlyWhenEverySettingIsThere() {
        Map<String, String> all = new HashMap<>();
        NativeMemorySettings.ENVIRONMENT.keySet().forEach(k -> all.put(k, "7"));
        assertThat(Relaunch.wanted(RECALIBRATE, all, "Linux", null)).isFalse();
        for (String missing : NativeMemorySettings.ENVIRONMENT.keySet()) {
            Map<String, String> partial = new HashMap<>(all);
            partial.remove(missing);
            assertThat(Relaunch.wanted(RECALIBRATE, partial, "Linux", null)).as("without " + missing).isTrue();
        }
    }

    @Test
    void childRunsThisJvmWithItsOptionsClassPathAndArguments() {
        assertThat(Relaunch.command("/opt/jdk", List.of("-Xmx2g", "-Dx=y"), "a.jar:b.jar", new String[] {"diagnose", "--report", "r"}))
                .containsExactly(Path.of("/opt/jdk", "bin", "java").toString(), "-Xmx2g", "-Dx=y", "-cp", "a.jar:b.jar",
                        Main.class.getName(), "diagnose", "--report", "r");
    }

    @Test
    void recalibratesChildCompilesWithTheClientCompilerUnlessTheUserChoseATieredSetting() {
        assertThat(Relaunch.childOptions(List.of("-Xmx2g"), new String[] {"recalibrate", "--model", "m.zip"}))
                .containsExactly("-Xmx2g", Relaunch.RECALIBRATE_JIT);
        assertThat(Relaunch.childOptions(List.of("-XX:TieredStopAtLevel=4"), new String[] {"recalibrate"}))
                .containsExactly("-XX:TieredStopAtLevel=4");
        assertThat(Relaunch.childOptions(List.of("-XX:-TieredCompilation"), new String[] {"recalibrate"}))
                .containsExactly("-XX:-TieredCompilation");
        assertThat(Relaunch.childOptions(List.of("-Xmx2g"), new String[] {"diagnose", "--model", "m.zip"}))
                .containsExactly("-Xmx2g");
    }

    @Test
    void aDebuggedJvmRunsTheCommandItself() {
        assertThat(Relaunch.debugged(List.of("-Xmx1g", "-agentlib:jdwp=transport=dt_socket,server=y,address=5005"))).isTrue();
        assertThat(Relaunch.debugged(List.of("-Xrunjdwp:transport=dt_socket"))).isTrue();
        assertThat(Relaunch.debugged(List.of("-Xmx1g", "-Dbndoctor.relaunch=true"))).isFalse();
    }

    @Test
    void shellAssignmentsListEverySetting() {
        assertThat(NativeMemorySettings.asShellAssignments())
                .isEqualTo("MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296");
    }

    /** Exit code, stdout and stderr of one child JVM. */
    private record Child(int exit, String out, String err) {
    }

    private Child main(Map<String, String> extraEnv, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        // as a user's shell would start it: without the settings
        pb.environment().keySet().removeAll(NativeMemorySettings.ENVIRONMENT.keySet());
        pb.environment().remove(Relaunch.MARKER);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().putAll(extraEnv);
        Process p = pb.start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish within 240 s");
        }
        return new Child(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void restartedChildRecalibratesWithTheSettings() throws Exception {
        Path in = CliFixtures.trainedModel(dir, "in.zip", NetworkKind.MULTI_LAYER);
        Path x = CliFixtures.features(dir, "x.npy", 32, CliFixtures.FEATURES);
        Child c = main(Map.of(), List.of(), "recalibrate", "--verbose", "--model", in.toString(), "--data", x.toString(),
                "--out", dir.resolve("o.zip").toString(), "--samples", "32", "--batch", "16");

        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(c.err()).contains("native memory settings: " + NativeMemorySettings.asShellAssignments()
                + " (restarted with them)");
        assertThat(c.out()).containsOnlyOnce("wrote");
        assertThat(dir.resolve("o.zip")).exists();
    }

    @Test
    void childsExitCodeAndOneErrorLineComeBack() throws Exception {
        Child c = main(Map.of(), List.of(), "recalibrate", "--model", "missing.zip", "--data", "missing.npy", "--out", "o.zip");

        assertThat(c.exit()).isEqualTo(Main.INPUT_ERROR);
        assertThat(c.err().lines().filter(l -> l.startsWith("bn-doctor:"))).hasSize(1);
        assertThat(dir.resolve("o.zip")).doesNotExist();
    }

    @Test
    void noRestartWhenTurnedOffOrWhenTheUserChoseValues() throws Exception {
        Child off = main(Map.of(), List.of("-D" + Relaunch.PROPERTY + "=false"), "recalibrate", "--verbose", "--model",
                "missing.zip", "--data", "missing.npy", "--out", "o.zip");
        assertThat(off.exit()).isEqualTo(Main.INPUT_ERROR);
        assertThat(off.err()).contains("native memory settings: not set (" + NativeMemorySettings.asShellAssignments());

        Map<String, String> own = new HashMap<>(NativeMemorySettings.ENVIRONMENT);
        own.put("MALLOC_ARENA_MAX", "2");
        Child mine = main(own, List.of(), "recalibrate", "--verbose", "--model", "missing.zip", "--data", "missing.npy",
                "--out", "o.zip");
        assertThat(mine.exit()).isEqualTo(Main.INPUT_ERROR);
        assertThat(mine.err()).contains("native memory settings: MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0")
                .contains("(from the environment)").doesNotContain("restarted");
    }
}
