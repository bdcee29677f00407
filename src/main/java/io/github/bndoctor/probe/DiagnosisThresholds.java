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
 */
public record DiagnosisThresholds(double gapRatio, double divergedLoss) {
    /** Defaults: gap ratio 1.5, diverged only when non-finite. */
    public static final DiagnosisThresholds DEFAULT = new DiagnosisThresholds(1.5, Double.POSITIVE_INFINITY);

    /**
     * @param gapRatio above 1
     * @param divergedLoss positive
     */
    public DiagnosisThresholds {
        if (!(gapRatio > 1)) {
            throw new IllegalArgumentException("gapRatio must be > 1, got " + gapRatio);
        }
        if (!(divergedLoss > 0)) {
            throw new IllegalArgumentException("divergedLoss must be > 0, got " + divergedLoss);
        }
    }
}
