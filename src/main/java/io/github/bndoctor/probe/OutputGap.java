package io.github.bndoctor.probe;

/**
 * Losses of one probe batch in the three modes that tell BN's train/inference divergence apart.
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
}
