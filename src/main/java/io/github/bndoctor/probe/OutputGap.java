package io.github.bndoctor.probe;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Losses of one probe batch in the three modes that tell BN's train/inference divergence apart.
 *
 * <p>The gap factors into two: {@code eval/train = (eval/precise) x (precise/train)}, the EMA's
 * part (moving statistics that are not the population's) times the batch-noise part (a model that
 * needs per-batch statistics). {@link #emaShare()} and {@link #batchNoiseShare()} split the log gap
 * {@code ln(eval/train)} between them; a factor below 1 (that part helps rather than hurts) counts
 * as 0, so the shares stay in [0, 1] and add up to 1.
 *
 * <p>Next to the losses: the loss of all-zero outputs on the same probe
 * ({@link LossMeasure#zerosLoss}, independent of the model) and the largest absolute output of each
 * mode ({@link LargestOutput}). Together they show a collapse the way it is seen by eye: an
 * inference-mode loss at the all-zeros level ({@link #evalToZerosRatio()} near 1) with a largest
 * inference-mode output near 0 while training mode still peaks. They are {@code NaN} when not measured.
 *
 * @param trainModeLoss with batch statistics (what training sees)
 * @param evalModeLoss with the moving statistics (what inference uses)
 * @param preciseLoss with population statistics recomputed for the current weights
 * @param zerosLoss the loss of all-zero outputs on the same probe ({@code NaN}: not measured)
 * @param trainModeMaxAbsOutput largest absolute training-mode output ({@code NaN}: not measured)
 * @param evalModeMaxAbsOutput largest absolute inference-mode output ({@code NaN}: not measured)
 * @param preciseMaxAbsOutput largest absolute output with the precise statistics ({@code NaN}: not measured)
 */
public record OutputGap(double trainModeLoss, double evalModeLoss, double preciseLoss, double zerosLoss,
                        double trainModeMaxAbsOutput, double evalModeMaxAbsOutput, double preciseMaxAbsOutput) {
    /**
     * The three losses alone (all-zeros loss and largest outputs not measured: {@code NaN}).
     *
     * @param trainModeLoss with batch statistics
     * @param evalModeLoss with the moving statistics
     * @param preciseLoss with precise statistics
     */
    public OutputGap(double trainModeLoss, double evalModeLoss, double preciseLoss) {
        this(trainModeLoss, evalModeLoss, preciseLoss, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    /**
     * Scores the outputs of the three modes on one probe: each mode's loss, the all-zeros loss
     * (zeros shaped like the inference-mode outputs) and each mode's largest absolute output.
     *
     * @param loss the loss to compare
     * @param labels the probe's labels
     * @param trainModeOutputs outputs with batch statistics
     * @param evalModeOutputs outputs with the moving statistics
     * @param preciseOutputs outputs with precise statistics
     * @return the gap
     */
    public static OutputGap of(LossMeasure loss, INDArray[] labels, INDArray[] trainModeOutputs,
                               INDArray[] evalModeOutputs, INDArray[] preciseOutputs) {
        return new OutputGap(loss.loss(trainModeOutputs, labels), loss.loss(evalModeOutputs, labels),
                loss.loss(preciseOutputs, labels), loss.zerosLoss(evalModeOutputs, labels),
                LargestOutput.of(trainModeOutputs), LargestOutput.of(evalModeOutputs), LargestOutput.of(preciseOutputs));
    }

    /**
     * @return {@code evalModeLoss / zerosLoss}: near 1 (or above), inference mode does no better than
     *     outputs that are all zero; {@code NaN} unless {@code zerosLoss} is positive and finite (labels
     *     that are all zero give an all-zeros loss of 0, where the ratio is undefined rather than infinite)
     */
    public double evalToZerosRatio() {
        return zerosLoss > 0 && Double.isFinite(zerosLoss) ? evalModeLoss / zerosLoss : Double.NaN;
    }

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
