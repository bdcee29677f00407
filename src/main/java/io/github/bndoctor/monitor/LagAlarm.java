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
 * @param freeLag warn when the free signal's median lag error exceeds this
 * @param predictedLag warn when the median predicted lag (degrees) exceeds this
 * @param measuredLag warn when the median measured lag angle (degrees) exceeds this
 * @param evalPreciseRatio confirm a warning as degraded inference when eval/precise is at least this
 */
public record LagAlarm(double freeLag, double predictedLag, double measuredLag, double evalPreciseRatio) {

    /** Thresholds chosen on seeds 1-3 of the three scenarios; see the class documentation. */
    public static final LagAlarm CALIBRATED = new LagAlarm(0.15, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
            2.0);

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
        return freeLagError > freeLag || c.medianPredictedLag() > predictedLag || c.medianMeasuredLag() > measuredLag;
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
