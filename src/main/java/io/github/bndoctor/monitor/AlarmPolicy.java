package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.GapHistory;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.Verdict;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Thresholds applied to every checkpoint.
 *
 * <ul>
 *   <li>{@value #EVAL_PRECISE_RATIO}: inference loss with moving statistics over inference loss
 *       with precise statistics, i.e. the part of the gap the EMA causes. Default warn 1.5, fail 5:
 *       between what healthy optimizers keep after warm-up on the seed scenario and what the
 *       reported divergence reaches (the regression gate's "ratio of at least 5"; figures in
 *       {@code docs/record.md}).</li>
 *   <li>{@value #EMA_LAG}: median over layers of the lag part of the EMA error (standardized
 *       mean shift plus absolute log variance ratio). Default warn 0.5 (half a standard deviation,
 *       or a variance off by 65%), no fail: an early warning.</li>
 *   <li>{@value #PREDICTED_LAG}: median over layers of rotation x d/(1-d), in degrees. Default
 *       warn 5, chosen on a PyTorch MobileNetV2's checkpoints against an inference/training loss
 *       ratio above 2 (precision and recall in {@code docs/record.md}). No fail: it fires before
 *       outputs degrade.</li>
 * </ul>
 * While the verdict is {@link Verdict#EMA_WARMUP} and the warm-up window has not passed
 * ({@link Checkpoint#withinWarmupWindow()}: some layer's prior still holds more than {@code e^-1},
 * the first {@code 1/(1-d)} iterations without a warm start), a loss-ratio alarm is capped at
 * {@link AlarmLevel#WARN}: the prior wears off by itself and is not the lag the gate is about.
 * After the window the prior holds {@code d^(1/(1-d)) <= e^-1} or less and no longer excuses a
 * failure: a network whose inference is still broken then fails, whatever part of its gap the
 * prior's remainder explains.
 *
 * <p>Over a run ({@link #evaluate(Checkpoint, List)}), a checkpoint at which the gap is
 * persistent ({@link GapHistory}: eval/train above {@value GapHistory#DEGRADED_RATIO} there and at
 * half or more of the checkpoints so far, past the warm-up window) raises a {@link #PERSISTENT_GAP}
 * {@link AlarmLevel#FAIL} alarm (value: the share of degraded checkpoints, threshold
 * {@value GapHistory#PERSISTENT_SHARE}), whatever the verdict.
 *
 * @param evalPreciseRatio threshold on eval/precise loss ratio
 * @param emaLag threshold on the median lag error
 * @param predictedLag threshold on the median predicted lag (degrees)
 */
public record AlarmPolicy(Threshold evalPreciseRatio, Threshold emaLag, Threshold predictedLag) {
    /** Metric name of the eval/precise loss ratio. */
    public static final String EVAL_PRECISE_RATIO = "evalPreciseRatio";
    /** Metric name of the median lag error. */
    public static final String EMA_LAG = "emaLag";
    /** Metric name of the median predicted lag. */
    public static final String PREDICTED_LAG = "predictedLag";
    /** Metric name of a persistent gap (value: share of checkpoints so far whose eval/train exceeded 2). */
    public static final String PERSISTENT_GAP = "persistentGap";

    /** The defaults documented above. */
    public static final AlarmPolicy DEFAULT = new AlarmPolicy(new Threshold(1.5, 5), Threshold.warnOnly(0.5),
            Threshold.warnOnly(5));

    /**
     * @param c a checkpoint
     * @return the alarms it raises, failures first
     */
    public List<Alarm> evaluate(Checkpoint c) {
        List<Alarm> out = new ArrayList<>();
        LayerCheckpoint worstEma = c.layers().stream()
                .max(Comparator.comparingDouble(l -> l.decomposition().emaError())).orElse(null);
        String worstName = worstEma == null ? "*" : worstEma.name();
        double ratio = c.gap().evalToPreciseRatio();
        AlarmLevel level = evalPreciseRatio.levelOf(ratio);
        if (level == AlarmLevel.FAIL && c.verdict() == Verdict.EMA_WARMUP && c.withinWarmupWindow()) {
            level = AlarmLevel.WARN;
        }
        if (level != null) {
            out.add(new Alarm(c.iteration(), worstName, EVAL_PRECISE_RATIO, ratio, evalPreciseRatio.valueOf(level), level));
        }
        add(out, c, emaLag, EMA_LAG, c.medianLagError(), c.layers().stream()
                .max(Comparator.comparingDouble(l -> l.decomposition().lagError())).map(LayerCheckpoint::name).orElse("*"));
        double predicted = c.medianPredictedLag();
        if (!Double.isNaN(predicted)) {
            add(out, c, predictedLag, PREDICTED_LAG, predicted, c.layers().stream()
                    .filter(l -> !Double.isNaN(l.predictedLag()))
                    .max(Comparator.comparingDouble(LayerCheckpoint::predictedLag)).map(LayerCheckpoint::name).orElse("*"));
        }
        out.sort(Comparator.comparing(Alarm::level).reversed());
        return out;
    }

    /**
     * The alarms of a checkpoint within its run: those of {@link #evaluate(Checkpoint)} and, where
     * the gap is persistent at it, a {@link #PERSISTENT_GAP} failure.
     *
     * @param c the latest checkpoint, the last of {@code run}
     * @param run the run's checkpoints so far, in order, ending with {@code c}
     * @return the alarms, failures first
     */
    public List<Alarm> evaluate(Checkpoint c, List<Checkpoint> run) {
        if (run.isEmpty() || run.get(run.size() - 1) != c) {
            throw new IllegalArgumentException("the run must end with the checkpoint evaluated");
        }
        List<Alarm> out = new ArrayList<>(evaluate(c));
        GapHistory h = GapHistory.of(run);
        if (GapHistory.persistentAtLast(run)) {
            out.add(0, new Alarm(c.iteration(), "*", PERSISTENT_GAP, (double) h.degraded() / h.checkpoints(),
                    GapHistory.PERSISTENT_SHARE, AlarmLevel.FAIL));
        }
        return out;
    }

    private static void add(List<Alarm> out, Checkpoint c, Threshold t, String metric, double value, String layer) {
        AlarmLevel level = t.levelOf(value);
        if (level != null) {
            out.add(new Alarm(c.iteration(), layer, metric, value, t.valueOf(level), level));
        }
    }
}
