package io.github.bndoctor.cli;

import io.github.bndoctor.BnDoctorException;
import io.github.bndoctor.backend.NativeMemorySettings;
import io.github.bndoctor.backend.NativeSpeedSettings;
import io.github.bndoctor.report.Explanations;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;

/**
 * Entry point of {@code java -jar bn-doctor.jar}. Maps outcomes to exit codes:
 * {@value #OK} healthy, {@value #INPUT_ERROR} usage or input error, {@value #INTERNAL_ERROR}
 * internal error, {@value #GATE_FAILED} the BN gate failed. Errors are one line on stderr; the
 * stack trace follows only with {@code --verbose}.
 */
@Command(name = "bn-doctor", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Diagnoses, gates and treats the Batch Normalization train/inference divergence of DL4J models.",
        subcommands = {DiagnoseCommand.class, InspectCommand.class, RecalibrateCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:healthy (or the default demo ran and every fix passed the gate)",
            "1:usage or input error (missing/corrupt model or data, wrong shape, no BN layer, unwritable output)",
            "2:internal error",
            "3:the gate failed: a FAIL alarm, or verdict EMA_LAG, BATCH_NOISE or DIVERGED"},
        footer = {"%nDocumentation: " + Explanations.DOCS_URL, "Metrics and verdicts: " + Explanations.DOCS_URL
                + "metrics.html"})
public final class Main implements Runnable {
    /** Healthy / success. */
    public static final int OK = 0;
    /** Usage or input error. */
    public static final int INPUT_ERROR = 1;
    /** Internal error. */
    public static final int INTERNAL_ERROR = 2;
    /** The BN gate failed. */
    public static final int GATE_FAILED = 3;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Shown by every command; read by the error handler. */
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Log at info level and print stack traces of errors.")
    boolean verbose;

    /** Native thread limit, applied before any command runs. */
    @Option(names = "--threads", scope = CommandLine.ScopeType.INHERIT, paramLabel = "N",
            description = "Native (ND4J/OpenMP/BLAS) threads; default OMP_NUM_THREADS if set, else 1 (fastest for small"
                    + " models on a shared machine).")
    void threads(int n) {
        if (n < 1 || n > NativeThreads.max()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be between 1 and "
                    + NativeThreads.max() + " (four per available processor), got " + n);
        }
        threadCount = n;
    }

    private int threadCount = -1;

    /**
     * @param args command line
     */
    public static void main(String[] args) {
        if (Relaunch.wanted(args, System.getenv(), System.getProperty("os.name"), System.getProperty(Relaunch.PROPERTY))) {
            try {
                java.util.OptionalInt child = Relaunch.run(args);
                if (child.isPresent()) {
                    System.exit(child.getAsInt());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                System.exit(INTERNAL_ERROR);
            }
        }
        NativeSpeedSettings.applyDefaults();
        System.setProperty("java.awt.headless", "true");
        for (String a : args) {
            if (a.equals("--verbose")) {
                System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
            }
        }
        org.slf4j.LoggerFactory.getLogger(Main.class).info("native memory settings: {}",
                NativeMemorySettings.presentIn(System.getenv())
                        ? NativeMemorySettings.ENVIRONMENT.keySet().stream().map(k -> k + "=" + System.getenv(k))
                                .collect(java.util.stream.Collectors.joining(" "))
                                + (System.getenv(Relaunch.MARKER) != null ? " (restarted with them)" : " (from the environment)")
                        : "not set (" + NativeMemorySettings.asShellAssignments() + " reuses native memory)");
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("bn-doctor: internal error: out of memory (" + e.getMessage()
                    + "); raise the JVM's heap limit (-Xmx) or use smaller --batch/--probe-size");
            code = INTERNAL_ERROR;
        } catch (Throwable e) {
            System.err.println("bn-doctor: internal error: " + e);
            code = INTERNAL_ERROR;
        }
        System.exit(code);
    }

    /** @return the command line with bn-doctor's error handling and exit codes */
    public static CommandLine commandLine() {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setExecutionStrategy(parsed -> {
            NativeThreads.limit(main.threadCount > 0 ? main.threadCount : NativeThreads.defaultCount());
            return new CommandLine.RunLast().execute(parsed);
        });
        return withErrorHandling(cl);
    }

    /**
     * @param cl a command line (bn-doctor's or another entry point's)
     * @return it, with bn-doctor's one-line errors and exit codes, and without {@code @FILE} expansion
     */
    public static CommandLine withErrorHandling(CommandLine cl) {
        // no @FILE arguments: reading @/dev/zero or a FIFO would never end, and no option needs them
        cl.setExpandAtFiles(false);
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler(Main::executionError);
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: diagnose, inspect or recalibrate");
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        // one line: picocli's nearest option or command names (--model for --modle) go into it
        String suggestion = e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()
                ? "; did you mean " + String.join(" or ", u.getSuggestions()) + "?" : "";
        cl.getErr().println("bn-doctor: " + e.getMessage() + suggestion + " (see '" + cl.getCommandSpec().qualifiedName()
                + " --help')");
        cl.getErr().flush();
        return INPUT_ERROR;
    }

    private static int executionError(Exception e, CommandLine cl, ParseResult parsed) {
        PrintWriter err = cl.getErr();
        BnDoctorException input = inputError(e);
        if (input != null) {
            err.println("bn-doctor: error: " + oneLine(input.getMessage()));
        } else {
            err.println("bn-doctor: internal error: " + e.getClass().getName() + ": " + oneLine(e.getMessage()));
        }
        if (verbose(parsed)) {
            e.printStackTrace(err);
        }
        err.flush();
        return input != null ? INPUT_ERROR : INTERNAL_ERROR;
    }

    private static BnDoctorException inputError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BnDoctorException b) {
                return b;
            }
        }
        return null;
    }

    private static boolean verbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    private static String oneLine(String m) {
        return m == null ? "" : m.replace('\n', ' ').replace('\r', ' ');
    }

    /** Version from the jar manifest, if any. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"bn-doctor " + (v == null ? "(development build)" : v)};
        }
    }
}
