package io.github.bndoctor.cli;

import io.github.bndoctor.lint.LagForecast;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.remedy.ProjectedStatistics;
import io.github.bndoctor.report.AtomicFiles;
import io.github.bndoctor.report.AtomicOutputs;
import io.github.bndoctor.report.CollapseSummary;
import io.github.bndoctor.report.DiagnosisReport;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LintEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import io.github.bndoctor.report.Explanations;
import io.github.bndoctor.report.NextCommands;
import io.github.bndoctor.report.Outcome;
import io.github.bndoctor.report.HtmlReport;
import io.github.bndoctor.report.ReportAssembler;
import io.github.bndoctor.report.ReportJson;
import io.github.bndoctor.scenario.Optimizer;
import io.github.bndoctor.scenario.ParallelRuns;
import io.github.bndoctor.scenario.ScenarioConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bn-doctor diagnose}: the seed scenario next to its fixes, one scenario configuration, or a saved model. */
@Command(name = "diagnose", mixinStandardHelpOptions = true,
        footer = {"%nDocumentation: " + Explanations.DOCS_URL + "metrics.html"}, sortOptions = false,
        description = {
            "Without --model: trains the built-in seed scenario (MobileNetV2-like pose model, Adam 1e-3, BN decay 0.997)"
                + " with the BN monitor attached, next to its fixes (Adam 1e-4, Nesterov, decay 0.9, and Adam 1e-3"
                + " recalibrated with precise BN at the end), and prints a verdict table.",
            "  Default demo: the seed row is EXPECTED to fail; the exit code is 0 when the diagnosis ran and every fix"
                + " passed the gate, 3 when a fix failed.",
            "  With any of --optimizer/--lr/--decay/--l2/--weight-decay/--batch/--adaptive-decay: trains that one configuration (the"
                + " others from the seed preset) and gates it: exit 3 on a FAIL verdict.",
            "With --model/--data: probes a saved MultiLayerNetwork or ComputationGraph at its current weights on the data"
                + " (probe = the first --probe-size examples, run in chunks of --batch; precise statistics from batches of the"
                + " same data), and"
                + " gates it.",
            "Gate: FAIL on any FAIL alarm or overall verdict EMA_LAG, BATCH_NOISE or DIVERGED; the overall verdict is the"
                + " verdict of the checkpoint with the worst eval/train loss ratio after warm-up."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:healthy / gate passed (demo: every fix passed)", "1:usage or input error", "2:internal error",
            "3:the gate failed"})
final class DiagnoseCommand implements Callable<Integer> {
    /**
     * Iterations of each run of the default demo: long enough for the seed run's inference-mode loss
     * to pass 80% of the all-zeros loss on the calibrated seeds (fixtures/scenario-calibration.md,
     * figures in docs/record.md).
     */
    static final int DEMO_ITERATIONS = 1200;
    /** Probe interval of the default demo. */
    static final int DEMO_PROBE_EVERY = 100;

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL.zip", description = "A saved MultiLayerNetwork or ComputationGraph.")
    private Path model;

    private int workers = -1;

    /** With --model: batches of the precise-statistics pass computed at once (as recalibrate's). */
    @Option(names = "--workers", paramLabel = "W", description = "With --model: batches of the precise-statistics pass"
            + " computed at once, as recalibrate's --workers (same statistics, bit for bit). Default: 1.")
    void workers(int w) {
        workers = RecalibrateCommand.validWorkers(spec, w);
    }
    @Option(names = "--data", paramLabel = "FILE", description = ".npy features or a DL4J DataSet file (with --model).")
    private Path data;
    @Option(names = "--labels", paramLabel = "FILE.npy", description = ".npy labels for .npy features (optional; without"
            + " labels the output deviation from training mode is compared).")
    private Path labels;
    @Option(names = "--samples", paramLabel = "N", defaultValue = "1024",
            description = "With --model: examples for the precise statistics (default: ${DEFAULT-VALUE}).")
    private int samples;
    @Option(names = "--probe-size", paramLabel = "N", defaultValue = "256",
            description = "With --model: probe examples (default: ${DEFAULT-VALUE}).")
    private int probeSize;
    @Option(names = "--planned-iterations", paramLabel = "N", description = "With --model: planned training length, for"
            + " the EMA-window lint.")
    private Long plannedIterations;

    @Option(names = "--optimizer", paramLabel = "adam|nesterov|sgd", description = "Scenario optimizer.")
    private String optimizer;
    @Option(names = "--lr", paramLabel = "LR", description = "Scenario learning rate.")
    private Double lr;
    @Option(names = "--decay", paramLabel = "D", description = "Scenario BN decay.")
    private Double decay;
    @Option(names = "--l2", paramLabel = "L2", description = "Scenario L2 coefficient.")
    private Double l2;
    @Option(names = "--weight-decay", paramLabel = "WD", description = "Scenario decoupled weight decay.")
    private Double weightDecay;
    @Option(names = "--batch", paramLabel = "B", description = "Batch size (scenario training; with --model the batches"
            + " of the precise statistics, default 16).")
    private Integer batch;
    @Option(names = "--iterations", paramLabel = "N", description = "Iterations per scenario run (default: "
            + DEMO_ITERATIONS + " for the demo, the preset's otherwise).")
    private Integer iterations;
    @Option(names = "--seed", paramLabel = "S", description = "Scenario seed (default 1).")
    private Long seed;
    @Option(names = "--probe-every", paramLabel = "K", description = "Scenario checkpoint interval (default "
            + DEMO_PROBE_EVERY + ").")
    private Integer probeEvery;

    @Option(names = "--adaptive-decay", description = "Scenario: train with the AdaptiveDecay listener (each BN"
            + " layer's decay lowered while its weights turn fast; JSON and report show the decays in force).")
    private boolean adaptiveDecay;
    @Option(names = "--projected-statistics", description = "Scenario: train with the ProjectedStatistics listener"
            + " (BN inference statistics projected from the feeding layer's input moments through its current weights,"
            + " written every " + ProjectedStatistics.DEFAULT_EVERY + " iterations).")
    private boolean projectedStatistics;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the JSON result (JSON Schema: "
            + Explanations.DOCS_URL + "bn-doctor-result.schema.json, described in " + Explanations.DOCS_URL
            + "json-schema.html).")
    private Path json;
    @Option(names = "--report", paramLabel = "DIR", description = "Write an HTML report to DIR/index.html.")
    private Path report;

    /** The lag forecast of the (seed) configuration or model, printed after the table. */
    private String forecast = "";

    @Override
    public Integer call() {
        if (plannedIterations != null && plannedIterations < 1) {
            throw new InputException("--planned-iterations must be >= 1, got " + plannedIterations);
        }
        if (json != null) {
            OutputPaths.requireDistinct("--json", json, model, data, labels);
            AtomicFiles.requireWritableFile(json);
        }
        if (report != null) {
            OutputPaths.requireDistinct("--report", report, model, data, labels);
            OutputPaths.requireDistinct("--report", report.resolve(HtmlReport.FILE_NAME), model, data, labels, json);
            OutputPaths.requireOutside("--json", json, "--report", report);
            HtmlReport.requireWritable(report);
        }
        DiagnosisReport result;
        boolean demo = false;
        if (model != null || data != null) {
            result = diagnoseModel();
        } else {
            demo = optimizer == null && lr == null && decay == null && l2 == null && weightDecay == null && batch == null
                    && !adaptiveDecay && !projectedStatistics;
            result = demo ? demo() : single();
        }
        PrintWriter out = spec.commandLine().getOut();
        printTable(out, result, demo);
        out.print(forecast);
        Path html = null;
        try (AtomicOutputs outs = new AtomicOutputs()) {
            if (json != null) {
                ReportJson.stage(outs, result, json);
            }
            if (report != null) {
                html = HtmlReport.stage(outs, result, report);
            }
            outs.commit();
        }
        if (json != null) {
            out.println("wrote " + json);
        }
        if (html != null) {
            out.println("wrote " + html);
        }
        Outcome outcome = Outcome.of(result);
        int code = outcome.passed() ? Main.OK : Main.GATE_FAILED;
        out.println("exit " + code + ": " + outcome.headline());
        out.flush();
        return code;
    }

    private DiagnosisReport diagnoseModel() {
        if (model == null || data == null) {
            throw new InputException("--model and --data go together");
        }
        if (optimizer != null || lr != null || decay != null || l2 != null || weightDecay != null || iterations != null
                || seed != null || probeEvery != null || adaptiveDecay
                || projectedStatistics) {
            throw new InputException("scenario options (--optimizer, --lr, --decay, --l2, --weight-decay, --iterations,"
                    + " --seed, --probe-every, --adaptive-decay, --projected-statistics) do not apply with --model");
        }
        int b = batch == null ? 16 : batch;
        if (b < 2 || samples < 1 || probeSize < 2) {
            throw new InputException("need --batch >= 2, --samples >= 1 and --probe-size >= 2");
        }
        return ModelDiagnosis.run(model, data, labels, b, samples, probeSize, plannedIterations,
                net -> forecast = LagForecast.table(LagForecast.of(net)), spec.commandLine().getErr(),
                workers > 0 ? workers : RecalibrateCommand.defaultWorkers(NativeThreads.applied()));
    }

    private DiagnosisReport demo() {
        int n = iterations == null ? DEMO_ITERATIONS : iterations;
        int k = interval(n);
        PrintWriter err = spec.commandLine().getErr();
        List<String> names = List.of("seed: adam lr=1e-3 decay=0.997", "fix: adam lr=1e-4", "fix: nesterov lr=1e-3",
                "fix: adam lr=1e-3 decay=0.9");
        List<ScenarioConfig> configs = List.of(ScenarioConfig.seedCollapse(), ScenarioConfig.adamLowLr(),
                ScenarioConfig.nesterov(), ScenarioConfig.lowDecay());
        int parallel = parallelRuns(configs.size());
        err.printf("default demo: %d runs of %d iterations, %d at a time%n", configs.size(), n, parallel);
        Progress progress = new Progress(err, (long) n * configs.size());
        List<ScenarioDiagnosis> diagnoses = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            diagnoses.add(new ScenarioDiagnosis(adjust(configs.get(i).toBuilder().iterations(n)), names.get(i)));
        }
        List<ReportAssembler.Run> rows = trainAll(diagnoses, k, progress, parallel);
        ScenarioDiagnosis seedRun = diagnoses.get(0);
        forecast = seedRun.forecast();
        List<ReportAssembler.Run> fixes = new ArrayList<>();
        fixes.add(seedRun.recalibrated("fix: adam lr=1e-3 + precise BN at the end"));
        fixes.addAll(rows.subList(1, rows.size()));
        return ReportAssembler.report(rows.get(0), DiagnosisReport.LOSS_LABELS, seedRun.lints(), fixes);
    }

    /**
     * @param runs runs wanted
     * @return runs to train at once: one per core left after each run's native threads, at least 1
     */
    static int parallelRuns(int runs) {
        // ND4J's Environment.maxThreads() does not report a lowered limit, so use the one applied
        int nativeThreads = Math.max(1, NativeThreads.applied());
        return Math.max(1, Math.min(runs, Runtime.getRuntime().availableProcessors() / nativeThreads));
    }

    /** Trains each diagnosis, {@code parallel} at a time ({@link ParallelRuns}). */
    private static List<ReportAssembler.Run> trainAll(List<ScenarioDiagnosis> diagnoses, int probeEvery,
            Progress progress, int parallel) {
        List<java.util.concurrent.Callable<ReportAssembler.Run>> jobs = new ArrayList<>();
        for (ScenarioDiagnosis d : diagnoses) {
            jobs.add(() -> d.train(probeEvery, progress));
        }
        return ParallelRuns.all(jobs, parallel, NativeThreads.applied());
    }

    private DiagnosisReport single() {
        ScenarioConfig.Builder b = ScenarioConfig.seedDivergence().toBuilder();
        if (optimizer != null) {
            try {
                b.optimizer(Optimizer.valueOf(optimizer.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new InputException("--optimizer must be adam, nesterov or sgd, got '" + optimizer + "'");
            }
        }
        if (lr != null) {
            b.learningRate(lr);
        }
        if (decay != null) {
            b.bnDecay(decay);
        }
        if (l2 != null) {
            b.l2(l2);
        }
        if (weightDecay != null) {
            b.weightDecay(weightDecay);
        }
        if (batch != null) {
            b.batchSize(batch);
        }
        ScenarioConfig c = adjust(b);
        int k = interval(c.iterations());
        String name = String.format(Locale.ROOT, "%s lr=%s decay=%s", c.optimizer().name().toLowerCase(Locale.ROOT),
                c.learningRate(), c.bnDecay());
        ScenarioDiagnosis d = new ScenarioDiagnosis(c, name + (adaptiveDecay ? " adaptive" : "")
                + (projectedStatistics ? " projected" : ""), adaptiveDecay ? AdaptiveDecay.builder().build() : null,
                projectedStatistics ? ProjectedStatistics.builder().build() : null);
        forecast = d.forecast();
        ReportAssembler.Run r = d.train(k, new Progress(spec.commandLine().getErr(), c.iterations()));
        return ReportAssembler.report(r, DiagnosisReport.LOSS_LABELS, d.lints(), List.of());
    }

    private ScenarioConfig adjust(ScenarioConfig.Builder b) {
        if (iterations != null) {
            b.iterations(iterations);
        }
        if (seed != null) {
            b.seed(seed);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new InputException("invalid scenario option: " + e.getMessage(), e);
        }
    }

    private int interval(int runIterations) {
        int k = probeEvery == null ? DEMO_PROBE_EVERY : probeEvery;
        if (k < 2) {
            throw new InputException("--probe-every must be >= 2, got " + k);
        }
        if (runIterations < k) {
            throw new InputException("--iterations " + runIterations + " is shorter than one probe interval (--probe-every "
                    + k + ")");
        }
        return k;
    }

    private static void printTable(PrintWriter out, DiagnosisReport r, boolean demo) {
        List<RunSummary> rows = new ArrayList<>();
        rows.add(new RunSummary(String.valueOf(r.config().get("name")), r.verdict(), r.gate(), r.config(), r.checkpoints(),
                r.alarms(), r.recommendations()));
        rows.addAll(r.comparisons());
        boolean snapshots = rows.stream().allMatch(s -> s.checkpoints().size() == 1);
        // one snapshot: its eval/train and eval/precise; several: the worst and the last eval/train
        out.printf("%-44s %-11s %-16s %12s %12s %6s%n", "run", "verdict", "gate", snapshots ? "eval/train" : "worst ev/tr",
                snapshots ? "eval/precise" : "last ev/tr", "FAILs");
        for (int i = 0; i < rows.size(); i++) {
            RunSummary s = rows.get(i);
            String gate = s.gate() + (demo && i == 0 ? " (expected)" : "");
            CheckpointEntry last = s.checkpoints().get(s.checkpoints().size() - 1);
            Double worst = s.checkpoints().stream().map(CheckpointEntry::evalToTrainRatio).filter(v -> v != null)
                    .max(Double::compare).orElse(null);
            Double second = snapshots ? Outcome.evalToPrecise(last) : last.evalToTrainRatio();
            long fails = s.alarms().stream().filter(a -> a.level().equals("FAIL")).count();
            out.printf("%-44s %-11s %-16s %12s %12s %6d%n", s.name(), s.verdict(), gate, num(worst), num(second), fails);
        }
        for (RunSummary s : rows) {
            out.printf("%s, worst checkpoint at %s%n", s.name(), CollapseSummary.of(s.checkpoints()));
        }
        if (r.lossKind().equals(DiagnosisReport.LOSS_OUTPUT_DEVIATION)) {
            out.println("no labels: losses are output deviations from training mode (trainModeLoss 0)");
        }
        if (!r.lints().isEmpty()) {
            out.println("lints:");
            Map<String, List<LintEntry>> byRule = new LinkedHashMap<>();
            r.lints().forEach(l -> byRule.computeIfAbsent(l.rule(), x -> new ArrayList<>()).add(l));
            byRule.forEach((rule, ls) -> out.printf("  [%s] %s%s%n", rule, ls.get(0).layer() + ": " + ls.get(0).message(),
                    ls.size() > 1 ? " (and " + (ls.size() - 1) + " more layer(s); see the JSON)" : ""));
        }
        out.println("verdict " + r.verdict() + ": " + Explanations.verdict(r.verdict()) + " ("
                + Explanations.verdictUrl(r.verdict()) + ")");
        out.println("recommendations" + (demo ? " for the seed configuration" : "") + ":");
        r.recommendations().forEach(x -> out.println("  - " + x));
        List<NextCommands.Command> commands = NextCommands.of(r);
        if (!commands.isEmpty()) {
            out.println("commands" + (demo ? " for the seed configuration" : "") + ":");
            commands.forEach(c -> out.println("  # " + c.what() + "\n  " + c.command()));
        }
    }


    private static String num(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3g", v);
    }
}
