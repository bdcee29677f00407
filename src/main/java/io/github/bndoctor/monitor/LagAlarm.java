package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.stats.Median;

/**
 * The two alarm roles of the lag, built on cheap signals with the loss probe as confirmation:
 * <ul>
 *   <li>{@link #warns early warning}: the lag is large enough that inference will degrade within
 *       the EMA's window. A cheap signal fires (any one suffices: the free signal's median lag
 *       error ({@link BatchStatisticsFromUpdates}, read at every iteration from the moving-statistics
 *       update), the single-step rotation prediction {@code rotation x d/(1-d)} or the measured lag
 *       angle from the {@link io.github.bndoctor.probe.WeightSnapshotRing}, NaN, and then ignored,
 *       until the ring reaches back the EMA's mean age) and the output supports it: either the
 *       EMA's window is still filling (the checkpoint's iteration is below
 *       {@value #FILLING_FRACTION} of the median mean age {@code d/(1-d)}, where a lag that builds up
 *       over the window has reached less than {@code 1 - e^(-1/2)}, about 40%, of its size and the
 *       probe cannot show it yet) or the probe's eval/precise already reaches {@link #supportRatio()}.
 *       Without a cheap signal, eval/precise at {@link #aloneRatio()} warns on its own. The cheap
 *       signals measure how far the statistics moved; the probe, how much the network's output
 *       cares;</li>
 *   <li>{@link #alarms state alarm}: inference is degraded now. A cheap signal, confirmed by the
 *       probe's inference loss over its loss with precise statistics (the EMA's part of the gap,
 *       the quantity the FAIL gate of {@link AlarmPolicy} reads), never by the inference/training
 *       ratio the alarm is scored against.</li>
 * </ul>
 * A threshold of {@code +Infinity} switches a signal off; a support ratio of 0 lets every cheap
 * signal warn on its own (the rule before the probe was read).
 *
 * <p>{@link #CALIBRATED}: the cheap thresholds and the confirmation chosen on seeds 1-3 of the
 * three scenarios (the seed MobileNetV2, the ResNet-style graph, the dense MLP, each with its
 * diverging configuration and its fixes), each threshold by one rule fixed before the held-out
 * seeds 4-6 were scored: the geometric midpoint of the gap between the largest value at a
 * checkpoint that does not degrade (eval/train below 2) within the EMA window and the smallest
 * value at one that does (where there is no gap, the smallest value above every non-degrading
 * checkpoint, rounded up); the confirmation the same way in eval/precise over the warned
 * checkpoints. The support and alone ratios were chosen afterwards on the tuning network families
 * of {@code docs/generalization.md} (maximum of the smaller of precision and recall there, with both
 * at least 0.95 on the scenarios' seeds 1-3) and reported on the held-out families. The values each
 * rule read, and the scores on the tuning seeds, the held-out seeds (the regression leg's
 * {@code AlarmQualityRegressionTest}) and held-out network families, are in {@code docs/record.md}
 * and {@code docs/generalization.md}.
 *
 * @param freeLag warn when the free signal's median lag error exceeds this
 * @param predictedLag warn when the median predicted lag (degrees) exceeds this
 * @param measuredLag warn when the median measured lag angle (degrees) exceeds this
 * @param evalPreciseRatio confirm a warning as degraded inference when eval/precise is at least this
 * @param supportRatio once the EMA's window is half filled, a cheap signal warns only where
 *                     eval/precise is at least this
 * @param aloneRatio eval/precise at which the early warning fires without a cheap signal
 */
public record LagAlarm(double freeLag, double predictedLag, double measuredLag, double evalPreciseRatio,
                       double supportRatio, double aloneRatio) {

    /** Thresholds chosen on seeds 1-3 of the three scenarios and the tuning families; how: see the class documentation. */
    public static final LagAlarm CALIBRATED = new LagAlarm(0.16, 9, 5.4, 2.1, 1.3, 2.0);

    /**
     * Fraction of the EMA's mean age {@code d/(1-d)} below which a cheap signal warns without the
     * probe's support: a lag growing at a steady rate has then built up less than
     * {@code 1 - e^(-1/2)} of its equilibrium size.
     */
    public static final double FILLING_FRACTION = 0.5;

    /**
     * @param freeLag warn threshold on the free median lag error, &gt;= 0
     * @param predictedLag warn threshold on the median predicted lag, degrees, &gt;= 0
     * @param measuredLag warn threshold on the median measured lag angle, degrees, &gt;= 0
     * @param evalPreciseRatio confirmation threshold on eval/precise, &gt; 0
     * @param supportRatio eval/precise that supports a cheap warning once the window is half filled, &gt;= 0
     * @param aloneRatio eval/precise that warns without a cheap signal, &gt; 0 ({@code +Infinity}: never)
     */
    public LagAlarm {
        if (!(freeLag >= 0) || !(predictedLag >= 0) || !(measuredLag >= 0) || !(evalPreciseRatio > 0)
                || !(supportRatio >= 0) || !(aloneRatio > 0)) {
            throw new IllegalArgumentException("thresholds must be >= 0 (ratios > 0), got " + freeLag + ", "
                    + predictedLag + ", " + measuredLag + ", " + evalPreciseRatio + ", " + supportRatio + ", "
                    + aloneRatio);
        }
    }

    /**
     * Cheap signals alone: every cheap signal above its threshold warns, the probe never does.
     *
     * @param freeLag warn threshold on the free median lag error, &gt;= 0
     * @param predictedLag warn threshold on the median predicted lag, degrees, &gt;= 0
     * @param measuredLag warn threshold on the median measured lag angle, degrees, &gt;= 0
     * @param evalPreciseRatio confirmation threshold on eval/precise, &gt; 0
     */
    public LagAlarm(double freeLag, double predictedLag, double measuredLag, double evalPreciseRatio) {
        this(freeLag, predictedLag, measuredLag, evalPreciseRatio, 0, Double.POSITIVE_INFINITY);
    }

    /**
     * The early warning: a cheap signal the output supports, or eval/precise at {@link #aloneRatio()}
     * (see the class documentation).
     *
     * @param freeLagError the free signal's median lag error at the checkpoint's iteration (NaN: none yet)
     * @param c the checkpoint, for its rotation prediction, measured lag angle, decays and probe
     * @return whether the early warning fires
     */
    public boolean warns(double freeLagError, Checkpoint c) {
        return warning(freeLagError, c) != null;
    }

    /**
     * What the early warning fired on: the cheap signal (when the output supports it) or, without
     * one, eval/precise at {@link #aloneRatio()}.
     *
     * @param freeLagError the free signal's median lag error at the checkpoint's iteration (NaN: none yet)
     * @param c the checkpoint
     * @return the signal's name, value and threshold, or {@code null} when the early warning does not fire
     */
    public Firing warning(double freeLagError, Checkpoint c) {
        Firing cheap = firing(freeLagError, c);
        double evalPrecise = c.gap().evalToPreciseRatio();
        if (cheap != null && (windowFilling(c) || evalPrecise >= supportRatio)) {
            return cheap;
        }
        return evalPrecise >= aloneRatio ? new Firing("evalPrecise", evalPrecise, aloneRatio) : null;
    }

    /**
     * @param c a checkpoint
     * @return whether its iteration is below {@link #FILLING_FRACTION} of the median mean age
     *         {@code d/(1-d)} of its layers' decays in force (never for frozen statistics, {@code d >= 1})
     */
    public static boolean windowFilling(Checkpoint c) {
        double[] ages = c.layers().stream().mapToDouble(LayerCheckpoint::decay).filter(d -> d >= 0 && d < 1)
                .map(d -> d / (1 - d)).toArray();
        return c.iteration() < FILLING_FRACTION * Median.of(ages); // the median of none is NaN: false
    }

    /**
     * The first cheap signal above its threshold, in the order free lag error, predicted lag,
     * measured lag angle; the probe is not read.
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
     * @param signal its name: {@code freeLag}, {@code predictedLag}, {@code measuredLag} or, for an early
     *               warning without a cheap signal, {@code evalPrecise}
     * @param value its value at the checkpoint
     * @param threshold the threshold it exceeded
     */
    public record Firing(String signal, double value, double threshold) {
    }

    /**
     * The state alarm: a cheap signal confirmed by the probe.
     *
     * @param freeLagError the free signal's median lag error at the checkpoint's iteration (NaN: none yet)
     * @param c the checkpoint
     * @return whether inference is degraded now by this rule
     */
    public boolean alarms(double freeLagError, Checkpoint c) {
        return firing(freeLagError, c) != null && confirms(c);
    }

    /**
     * @param c a checkpoint
     * @return whether its probe's eval/precise ratio reaches {@link #evalPreciseRatio()}
     */
    public boolean confirms(Checkpoint c) {
        return c.gap().evalToPreciseRatio() >= evalPreciseRatio;
    }
}
