package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;

/**
 * The two alarm roles of the lag, built on cheap signals with the loss probe as confirmation:
 * <ul>
 *   <li>{@link #warns early warning}: the lag is large enough that inference will degrade within
 *       the EMA's window. Cheap signals only, any one suffices: the free signal's median lag error
 *       ({@link BatchStatisticsFromUpdates}, read at every iteration from the moving-statistics
 *       update), the single-step rotation prediction {@code rotation x d/(1-d)} and the measured
 *       lag angle from the {@link io.github.bndoctor.probe.WeightSnapshotRing} (NaN, and then
 *       ignored, until the ring reaches back the EMA's mean age);</li>
 *   <li>{@link #alarms state alarm}: inference is degraded now. The early warning, confirmed by the
 *       probe's inference loss over its loss with precise statistics (the EMA's part of the gap,
 *       the quantity the FAIL gate of {@link AlarmPolicy} reads), never by the inference/training
 *       ratio the alarm is scored against.</li>
 * </ul>
 * A threshold of {@code +Infinity} switches a signal off.
 *
 * <p>{@link #CALIBRATED}: chosen on seeds 1-3 of the three scenarios (the seed MobileNetV2, the
 * ResNet-style graph, the dense MLP, each with its diverging configuration and its fixes), each
 * threshold by one rule fixed before the held-out seeds 4-6 were scored: the geometric midpoint of
 * the gap between the largest value at a checkpoint that does not degrade (eval/train below 2)
 * within the EMA window and the smallest value at one that does (where there is no gap, the
 * smallest value above every non-degrading checkpoint, rounded up); the confirmation the same way
 * in eval/precise over the warned checkpoints. The values each rule read, and the scores on the
 * tuning seeds, the held-out seeds (the regression leg's {@code AlarmQualityRegressionTest}) and
 * held-out network families ({@code docs/generalization.md}), are in {@code docs/record.md}.
 *
 * @param freeLag warn when the free signal's median lag error exceeds this
 * @param predictedLag warn when the median predicted lag (degrees) exceeds this
 * @param measuredLag warn when the median measured lag angle (degrees) exceeds this
 * @param evalPreciseRatio confirm a warning as degraded inference when eval/precise is at least this
 */
public record LagAlarm(double freeLag, double predictedLag, double measuredLag, double evalPreciseRatio) {

    /** Thresholds chosen on seeds 1-3 of the three scenarios; how: see the class documentation. */
    public static final LagAlarm CALIBRATED = new LagAlarm(0.16, 9, 5.4, 2.1);

    /**
     * @param freeLag warn threshold on the free median lag error, &gt;= 0
     * @param predictedLag warn threshold on the median predicted lag, degrees, &gt;= 0
     * @param measuredLag warn threshold on the median measured lag angle, degrees, &gt;= 0
     * @param evalPreciseRatio confirmation threshold on eval/precise, &gt; 0
     */
    public LagAlarm {
        if (!(freeLag >= 0) || !(predictedLag >= 0) || !(measuredLag >= 0) || !(evalPreciseRatio > 0)) {
            throw new IllegalArgumentException("thresholds must be >= 0 (ratio > 0), got " + freeLag + ", "
                    + predictedLag + ", " + measuredLag + ", " + evalPreciseRatio);
        }
    }

    /**
     * The early warning: cheap signals only (the checkpoint's loss probe is not read).
     *
     * @param freeLagError the free signal's median lag error at the checkpoint's iteration (NaN: none yet)
     * @param c the checkpoint, for its rotation prediction and measured lag angle
     * @return whether any cheap signal exceeds its threshold
     */
    public boolean warns(double freeLagError, Checkpoint c) {
        return firing(freeLagError, c) != null;
    }

    /**
     * The first cheap signal above its threshold, in the order free lag error, predicted lag,
     * measured lag angle.
     *
     * @param freeLagError the free signal's median lag error at the checkpoint's iteration (NaN: none yet)
     * @param c the checkpoint, for its rotation prediction and measured lag angle
     * @return the signal's name, value and threshold, or {@code null} when none fires
     */
    public Firing firing(double freeLagError, Checkpoint c) {
        if (freeLagError > freeLag) {
            return new Firing("freeLag", freeLagError, freeLag);
        }
        if (c.medianPredictedLag() > predictedLag) {
            return new Firing("predictedLag", c.medianPredictedLag(), predictedLag);
        }
        if (c.medianMeasuredLag() > measuredLag) {
            return new Firing("measuredLag", c.medianMeasuredLag(), measuredLag);
        }
        return null;
    }

    /**
     * A cheap signal that fired.
     *
     * @param signal its name: {@code freeLag}, {@code predictedLag} or {@code measuredLag}
     * @param value its value at the checkpoint
     * @param threshold the threshold it exceeded
     */
    public record Firing(String signal, double value, double threshold) {
    }

    /**
     * The state alarm: the early warning confirmed by the probe.
     *
     * @param freeLagError the free signal's median lag error at the checkpoint's iteration (NaN: none yet)
     * @param c the checkpoint
     * @return whether inference is degraded now by this rule
     */
    public boolean alarms(double freeLagError, Checkpoint c) {
        return warns(freeLagError, c) && confirms(c);
    }

    /**
     * @param c a checkpoint
     * @return whether its probe's eval/precise ratio reaches {@link #evalPreciseRatio()}
     */
    public boolean confirms(Checkpoint c) {
        return c.gap().evalToPreciseRatio() >= evalPreciseRatio;
    }
}
