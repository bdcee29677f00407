package io.github.bndoctor.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child-JVM entry point of the memory tests: runs one command line like {@code Main.main} (the same
 * native settings first) and
 * then writes the process's peak resident set size ({@code VmHWM} of {@code /proc/self/status},
 * heap and ND4J's off-heap memory together) to the file named by the system property
 * {@code bndoctor.peakFile}.
 */
public final class PeakMemoryMain {
    private PeakMemoryMain() {
    }

    /**
     * @param args the command line
     * @throws IOException if the peak cannot be written
     */
    public static void main(String[] args) throws IOException {
        io.github.bndoctor.backend.NativeSpeedSettings.applyDefaults();
        System.setProperty("java.awt.headless", "true");
        int code = Main.commandLine().execute(args);
        String hwm = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM:"))
                .findFirst().orElse("VmHWM: -1 kB");
        Files.writeString(Path.of(System.getProperty("bndoctor.peakFile")), hwm.replaceAll("[^0-9-]", "") + "\n");
        System.exit(code);
    }
}
