package io.github.bndoctor.cli;

import io.github.bndoctor.backend.NativeMemorySettings;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Restarts the command line once, in a child JVM with {@link NativeMemorySettings#ENVIRONMENT}, when
 * a command that runs inference passes over a user's model ({@code recalibrate}, {@code diagnose
 * --model}) starts on Linux without them: glibc reads them only at process start, and users should
 * not need flags for the command line to reuse its native memory. The built-in scenario
 * ({@code diagnose} without {@code --model}) trains small networks several at a time, which one
 * shared arena slows down, so it runs as started. The child gets the same JVM options ({@code recalibrate}'s
 * child with the client compiler only, {@link #childOptions}), class path and arguments and the
 * same standard streams; its exit code becomes this process's. The child is marked by
 * {@value #MARKER} so that it never restarts again; {@code -D}{@value #PROPERTY}{@code =false} or
 * the variables set in the environment (to any value) turn the restart off. Under a debugger, or if
 * the child cannot be started, the command runs in this process.
 */
final class Relaunch {
    /** Set in the child's environment. */
    static final String MARKER = "BN_DOCTOR_RELAUNCHED";
    /** System property that turns the restart off when {@code false}. */
    static final String PROPERTY = "bndoctor.relaunch";
    /**
     * Added to {@code recalibrate}'s child JVM: the client compiler only. The command spends its time
     * in native ops; C2's compilations of DL4J's start-up code cost CPU time a short process never
     * earns back.
     */
    static final String RECALIBRATE_JIT = "-XX:TieredStopAtLevel=1";

    private Relaunch() {
    }

    /**
     * @param args the command line's arguments
     * @param environment this process's environment
     * @param osName {@code os.name}
     * @param property the value of {@value #PROPERTY} (may be null)
     * @return whether to restart
     */
    static boolean wanted(String[] args, Map<String, String> environment, String osName, String property) {
        List<String> a = Arrays.asList(args);
        return osName != null && osName.startsWith("Linux") && !"false".equalsIgnoreCase(property)
                && !environment.containsKey(MARKER) && !NativeMemorySettings.presentIn(environment)
                && (recalibrates(args)
                    || a.contains("diagnose") && a.stream().anyMatch(x -> x.equals("--model") || x.startsWith("--model=")));
    }

    /** Whether the arguments name the {@code recalibrate} command (the restart's rule and the child's options share it). */
    private static boolean recalibrates(String[] args) {
        return Arrays.asList(args).contains("recalibrate");
    }

    /**
     * @param javaHome {@code java.home}
     * @param jvmOptions this JVM's options (from its runtime bean)
     * @param classPath {@code java.class.path}
     * @param args the command line's arguments
     * @return the child's command: this JVM's {@code java}, its options, the class path, {@link Main}
     *     and the arguments
     */
    static List<String> command(String javaHome, List<String> jvmOptions, String classPath, String[] args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(javaHome, "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(Main.class.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /**
     * @param jvmOptions this JVM's options
     * @param args the command line's arguments
     * @return the child's JVM options: these, and {@link #RECALIBRATE_JIT} for {@code recalibrate}
     *     unless they choose a tiered-compilation setting themselves
     */
    static List<String> childOptions(List<String> jvmOptions, String[] args) {
        List<String> options = new ArrayList<>(jvmOptions);
        if (recalibrates(args) && jvmOptions.stream().noneMatch(o -> o.contains("Tiered"))) {
            options.add(RECALIBRATE_JIT);
        }
        return options;
    }

    /**
     * @param jvmOptions this JVM's options
     * @return whether a debugger agent is attached or listening: its port is this JVM's, so the command
     *     runs here, where the user is debugging it
     */
    static boolean debugged(List<String> jvmOptions) {
        return jvmOptions.stream().anyMatch(o -> o.contains("jdwp"));
    }

    /**
     * Runs the child and waits for it (not under a debugger: {@link #debugged}); a signal that ends this JVM ends the child too.
     *
     * @param args the command line's arguments
     * @return the child's exit code, or empty if it could not be started
     * @throws InterruptedException if interrupted while waiting
     */
    static OptionalInt run(String[] args) throws InterruptedException {
        List<String> options = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (debugged(options)) {
            return OptionalInt.empty();
        }
        List<String> cmd = command(System.getProperty("java.home"), childOptions(options, args),
                System.getProperty("java.class.path"), args);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().putAll(NativeMemorySettings.ENVIRONMENT);
        pb.environment().put(MARKER, "1");
        Process child;
        try {
            child = pb.start();
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
        Thread stop = new Thread(child::destroy, "bn-doctor-child-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        int code = child.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(stop);
        } catch (IllegalStateException shuttingDown) {
            // the hook has run or is running: the child is being stopped
        }
        return OptionalInt.of(code);
    }
}
