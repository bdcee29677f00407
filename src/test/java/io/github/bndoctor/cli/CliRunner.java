package io.github.bndoctor.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command line in-process for tests in other packages. */
public final class CliRunner {
    private CliRunner() {
    }

    /**
     * @param args command line
     * @return the exit code (output discarded)
     */
    public static int exitCode(String... args) {
        picocli.CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(new StringWriter()));
        return cl.execute(args);
    }
}
