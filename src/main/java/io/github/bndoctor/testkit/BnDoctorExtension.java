package io.github.bndoctor.testkit;

import io.github.bndoctor.lint.Lint;
import io.github.bndoctor.monitor.BnGateFailure;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.report.DiagnosisReport;
import io.github.bndoctor.report.HtmlReport;
import io.github.bndoctor.report.ReportAssembler;
import io.github.bndoctor.report.ReportJson;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JUnit 5 extension: injects a {@link BnDoctorRun} into a test method, so the test hands it the
 * networks it trains ({@link BnDoctorRun#watch}); after the test, passed or failed, writes
 * {@code target/bn-doctor-reports/<class>/<method>.html} and {@code .json} (the JSON schema of
 * {@code docs/json-schema.md}) for every watched run that reached a checkpoint, with the test's
 * name as the run's name; and turns a gate failure that surfaced wrapped in another exception into
 * the {@link BnGateFailure} itself, an assertion failure, so the test fails rather than errs.
 *
 * <p>The report directory is {@value #REPORT_DIR_PROPERTY} if set, else
 * {@code target/bn-doctor-reports} under the working directory (Maven's module directory).
 * Further watched runs of the same test are written as comparisons next to the first. Use it as
 * {@code @ExtendWith(BnDoctorExtension.class)} or through {@link BnDoctorTest}.
 */
public final class BnDoctorExtension implements ParameterResolver, TestExecutionExceptionHandler, AfterEachCallback {
    /** System property naming the report directory. */
    public static final String REPORT_DIR_PROPERTY = "bndoctor.reportDir";
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(BnDoctorExtension.class);
    private static final Pattern INVOCATION = Pattern.compile("\\[test-template-invocation:#(\\d+)]");

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == BnDoctorRun.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NS).getOrComputeIfAbsent(BnDoctorRun.class, k -> newRun(context), BnDoctorRun.class);
    }

    private static BnDoctorRun newRun(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        String method = context.getRequiredTestMethod().getName();
        Matcher m = INVOCATION.matcher(context.getUniqueId());
        String file = m.find() ? method + "[" + m.group(1) + "]" : method;
        Path dir = Paths.get(System.getProperty(REPORT_DIR_PROPERTY, "target/bn-doctor-reports"))
                .resolve(testClass.getName());
        return new BnDoctorRun(testClass.getSimpleName() + "." + file, dir.resolve(file + ".html"),
                dir.resolve(file + ".json"));
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
        for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BnGateFailure gate) {
                if (gate != thrown) {
                    gate.addSuppressed(thrown);
                }
                throw gate;
            }
        }
        throw thrown;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        BnDoctorRun run = context.getStore(NS).get(BnDoctorRun.class, BnDoctorRun.class);
        if (run == null) {
            return;
        }
        List<ReportAssembler.Run> runs = new ArrayList<>();
        int index = 0;
        for (BnMonitor m : run.monitors()) {
            index++;
            if (m.checkpoints().isEmpty()) {
                continue;
            }
            String name = index == 1 ? run.name() : run.name() + " #" + index;
            ReportAssembler.Run r = ReportAssembler.Run.named(name, m);
            Map<String, Object> config = new LinkedHashMap<>(r.config());
            config.put("test", context.getUniqueId());
            config.put("outcome", context.getExecutionException().map(BnDoctorExtension::outcome).orElse("passed"));
            runs.add(new ReportAssembler.Run(name, config, r.checkpoints(), r.shownGaps(), r.alarms(), r.decay(),
                    r.probePerTrainingBatch()));
        }
        if (runs.isEmpty()) {
            return;
        }
        DiagnosisReport report = ReportAssembler.report(runs.get(0), DiagnosisReport.LOSS_LABELS, List.<Lint>of(),
                runs.subList(1, runs.size()));
        try {
            Files.createDirectories(run.htmlReport().toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the report directory for " + run.name(), e);
        }
        HtmlReport.writeFile(report, run.htmlReport());
        ReportJson.write(report, run.jsonReport());
    }

    private static String outcome(Throwable t) {
        String message = String.valueOf(t.getMessage());
        return "failed: " + t.getClass().getSimpleName() + ": " + message;
    }
}
