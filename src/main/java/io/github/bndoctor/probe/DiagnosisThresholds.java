package io.github.bndoctor.probe;

/**
 * Thresholds of the verdict.
 *
 * @param gapRatio eval/train loss ratio above which inference counts as diverged from training
 *     mode. Default 1.5: on the seed scenario healthy runs stayed below 1.3 after warm-up while
 *     the reported divergence reached 5-50, and training-mode loss itself fluctuates by tens of
 *     percent from batch to batch
 * @param divergedLoss training-mode loss above which training itself counts as failed
 *     ({@code +Infinity}: only non-finite losses)
 * @param noiseShare share of the log gap ({@link OutputGap#batchNoiseShare()}) above which a gap is
 *     called batch noise rather than the EMA's. Default 0.5: the gap goes to the factor that
 *     dominates, so a lagging EMA on a small-batch network (eval/train 19.2 with precise/train 1.73:
 *     batch-noise share 0.19) is EMA lag, not batch noise
 */
public record DiagnosisThresholds(double gapRatio, double divergedLoss, double noiseShare) {
    /** Defaults: gap ratio 1.5, diverged only when non-finite, the dominating factor takes the gap. */
    public static final DiagnosisThresholds DEFAULT = new DiagnosisThresholds(1.5, Double.POSITIVE_INFINITY, 0.5);

    /**
     * @param gapRatio above 1
     * @param divergedLoss positive
     */
    public DiagnosisThresholds(double gapRatio, double divergedLoss) {
        this(gapRatio, divergedLoss, 0.5);
    }

    /**
     * @param gapRatio above 1
     * @param divergedLoss positive
     * @param noiseShare in [0, 1)
     */
    public DiagnosisThresholds {
        if (!(noiseShare >= 0 && noiseShare < 1)) {
            throw new IllegalArgumentException("noiseShare must be in [0, 1), got " + noiseShare);
        }
        if (!(gapRatio > 1)) {
            throw new IllegalArgumentException("gapRatio must be > 1, got " + gapRatio);
        }
        if (!(divergedLoss > 0)) {
            throw new IllegalArgumentException("divergedLoss must be > 0, got " + divergedLoss);
        }
    }
}
