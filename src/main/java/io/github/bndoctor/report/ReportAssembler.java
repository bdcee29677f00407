package io.github.bndoctor.report;

import io.github.bndoctor.lint.Lint;
import io.github.bndoctor.monitor.Alarm;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.monitor.GapMessage;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.report.DiagnosisReport.AlarmEntry;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.LintEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import io.github.bndoctor.remedy.Recommendations;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Maps bn-doctor's in-memory results (checkpoints, alarms, lints) to the JSON model. */
public final class ReportAssembler {
    private ReportAssembler() {
    }

    /**
     * A run's results before mapping.
     *
     * @param name what the run is
     * @param config its settings, as shown in JSON
     * @param checkpoints its checkpoints (verdicts and alarms come from these)
     * @param shownGaps the losses to report per checkpoint, same order (usually each checkpoint's own gap)
     * @param alarms its alarms
     * @param decay median BN decay, for the recommendations
     * @param probePerTrainingBatch probe examples per training batch example, for the noise-limit
     *     criterion ({@link BnMonitor#probePerTrainingBatch()}; 1 if unknown)
     */
    public record Run(String name, Map<String, Object> config, List<Checkpoint> checkpoints, List<OutputGap> shownGaps,
                      List<Alarm> alarms, double decay, double probePerTrainingBatch) {
        /**
         * A run whose probe size relative to the training batch is unknown (taken as 1).
         *
         * @param name name
         * @param config settings
         * @param checkpoints checkpoints
         * @param shownGaps losses to report per checkpoint
         * @param alarms alarms
         * @param decay median decay
         */
        public Run(String name, Map<String, Object> config, List<Checkpoint> checkpoints, List<OutputGap> shownGaps,
                   List<Alarm> alarms, double decay) {
            this(name, config, checkpoints, shownGaps, alarms, decay, 1);
        }

        /**
         * @param k probe examples per training batch example
         * @return this run with the probe's size relative to the training batch known
         */
        public Run withProbePerTrainingBatch(double k) {
            return new Run(name, config, checkpoints, shownGaps, alarms, decay, k);
        }

        /**
         * A run that reports each checkpoint's own losses.
         *
         * @param name name
         * @param config settings
         * @param checkpoints checkpoints
         * @param alarms alarms
         * @param decay median decay
         * @return the run
         */
        public static Run of(String name, Map<String, Object> config, List<Checkpoint> checkpoints, List<Alarm> alarms,
                             double decay) {
            return new Run(name, config, checkpoints, checkpoints.stream().map(Checkpoint::gap).toList(), alarms, decay);
        }

        /**
         * A monitored run under a name of the caller's choosing (e.g. the test that trained it):
         * its config holds {@code name} and the checkpoint interval, its decay is the median decay
         * in force at its last checkpoint.
         *
         * @param name the run's name, shown as the report's title run and written as {@code config.name}
         * @param monitor a monitor with at least one checkpoint
         * @return the run
         */
        public static Run named(String name, BnMonitor monitor) {
            List<Checkpoint> cs = monitor.checkpoints();
            if (cs.isEmpty()) {
                throw new IllegalArgumentException("run '" + name + "' has no checkpoint to report");
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("name", name);
            config.put("checkpointEvery", monitor.every());
            return of(name, config, cs, monitor.alarms(), GapMessage.medianDecay(cs.get(cs.size() - 1)))
                    .withProbePerTrainingBatch(monitor.probePerTrainingBatch());
        }

        /** @return the checkpoint whose verdict is the run's ({@link RunVerdict#verdictCheckpoint}) */
        public Checkpoint worst() {
            return RunVerdict.verdictCheckpoint(checkpoints);
        }

        /** @return whether this run fails the gate ({@link RunVerdict#gateFails(List, List)}) */
        public boolean gateFails() {
            return RunVerdict.gateFails(checkpoints, alarms);
        }
    }

    /**
     * The report of a run. Its name is the report's name: written as {@code config.name} (first)
     * unless the run's config already holds one, and shown as the title run of the HTML report.
     *
     * @param run the run under test
     * @param lossKind {@link DiagnosisReport#LOSS_LABELS} or {@link DiagnosisReport#LOSS_OUTPUT_DEVIATION}
     * @param lints configuration findings
     * @param comparisons other runs to show next to it
     * @return the report
     */
    public static DiagnosisReport report(Run run, String lossKind, List<Lint> lints, List<Run> comparisons) {
        RunSummary main = summary(withName(run));
        return new DiagnosisReport(DiagnosisReport.SCHEMA_VERSION, main.verdict(), main.gate(), lossKind, main.config(),
                main.checkpoints(), main.alarms(), main.recommendations(),
                lints.stream().map(l -> new LintEntry(l.layer(), l.rule(), l.message())).toList(),
                comparisons.stream().map(ReportAssembler::summary).toList());
    }

    private static Run withName(Run run) {
        if (run.config().containsKey("name") || run.name() == null) {
            return run;
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("name", run.name());
        config.putAll(run.config());
        return new Run(run.name(), config, run.checkpoints(), run.shownGaps(), run.alarms(), run.decay(),
                run.probePerTrainingBatch());
    }

    /**
     * @param run a run
     * @return its summary
     */
    public static RunSummary summary(Run run) {
        Checkpoint worst = run.worst();
        List<CheckpointEntry> entries = new ArrayList<>();
        for (int i = 0; i < run.checkpoints().size(); i++) {
            entries.add(checkpoint(run.checkpoints().get(i), run.shownGaps().get(i)));
        }
        return new RunSummary(run.name(), worst.verdict().name(), RunVerdict.gateName(run.gateFails()), run.config(),
                entries, run.alarms().stream().map(ReportAssembler::alarm).toList(),
                Recommendations.from(run.checkpoints(), worst, run.decay(), run.probePerTrainingBatch()));
    }

    /**
     * @param c a checkpoint
     * @param shown the losses to report for it, with its all-zeros loss and largest outputs (the
     *     ratios that decide the verdict come from the checkpoint's own gap; eval/zeros from these)
     * @return its JSON entry
     */
    public static CheckpointEntry checkpoint(Checkpoint c, OutputGap shown) {
        List<LayerEntry> layers = new ArrayList<>();
        for (LayerCheckpoint l : c.layers()) {
            LayerDecomposition d = l.decomposition();
            layers.add(new LayerEntry(l.name(), finite(d.lagError()), finite(d.batchNoise()),
                    finite(l.rotationDegPerIter()), finite(l.predictedLag()), finite(l.measuredLag()),
                    finite(d.emaError()), finite(d.warmupError()), finite(l.decay()), finite(l.noiseCost())));
        }
        return new CheckpointEntry(c.iteration(), finite(shown.trainModeLoss()), finite(shown.evalModeLoss()),
                finite(shown.preciseLoss()), finite(shown.zerosLoss()), finite(c.gap().evalToTrainRatio()),
                finite(shown.evalToZerosRatio()), finite(c.gap().emaShare()), finite(c.gap().batchNoiseShare()),
                finite(shown.trainModeMaxAbsOutput()), finite(shown.evalModeMaxAbsOutput()),
                finite(shown.preciseMaxAbsOutput()), c.verdict().name(), layers, finite(c.jointNoiseCost()));
    }

    /**
     * @param a an alarm
     * @return its JSON entry
     */
    public static AlarmEntry alarm(Alarm a) {
        return new AlarmEntry(a.iteration(), a.layer(), a.metric(), finite(a.value()), finite(a.threshold()),
                a.level().name());
    }

    /**
     * @param v a number
     * @return it, or {@code null} if NaN or infinite
     */
    public static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
