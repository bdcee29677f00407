package io.github.bndoctor.probe;

/**
 * Losses of one probe batch in the three modes that tell BN's train/inference divergence apart.
 *
 * <p>The gap factors into two: {@code eval/train = (eval/precise) x (precise/train)}, the EMA's
 * part (moving statistics that are not the population's) times the batch-noise part (a model that
 * needs per-batch statistics). {@link #emaShare()} and {@link #batchNoiseShare()} split the log gap
 * {@code ln(eval/train)} between them; a factor below 1 (that part helps rather than hurts) counts
 * as 0, so the shares stay in [0, 1] and add up to 1.
 *
 * @param trainModeLoss with batch statistics (what training sees)
 * @param evalModeLoss with the moving statistics (what inference uses)
 * @param preciseLoss with population statistics recomputed for the current weights
 */
public record OutputGap(double trainModeLoss, double evalModeLoss, double preciseLoss) {
    /** @return {@code evalModeLoss / trainModeLoss}: above 1, inference is worse than training mode */
    public double evalToTrainRatio() {
        return evalModeLoss / trainModeLoss;
    }

    /** @return {@code evalModeLoss / preciseLoss}: above 1, the moving statistics are to blame */
    public double evalToPreciseRatio() {
        return evalModeLoss / preciseLoss;
    }

    /** @return {@code preciseLoss / trainModeLoss}: above 1, even exact statistics do not recover training mode */
    public double preciseToTrainRatio() {
        return preciseLoss / trainModeLoss;
    }

    /**
     * @return the EMA's share of the log gap, {@code ln+(eval/precise) / (ln+(eval/precise) + ln+(precise/train))}
     *     with {@code ln+ = max(ln, 0)}; {@code NaN} when neither factor exceeds 1 or a loss is not positive
     */
    public double emaShare() {
        return share(evalToPreciseRatio(), preciseToTrainRatio());
    }

    /** @return the batch-noise share of the log gap, {@code 1 - emaShare()} ({@code NaN} likewise) */
    public double batchNoiseShare() {
        return share(preciseToTrainRatio(), evalToPreciseRatio());
    }

    private static double share(double factor, double other) {
        double a = Math.max(0, Math.log(factor));
        double b = Math.max(0, Math.log(other));
        return a + b > 0 && Double.isFinite(a + b) ? a / (a + b) : Double.NaN;
    }
}
