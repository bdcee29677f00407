package io.github.bndoctor.conformance;

import io.github.bndoctor.dl4j.Layout;
import java.util.List;

/**
 * One PyTorch BatchNorm reference case (float32 values, flat row-major in {@link #layout()}).
 *
 * @param name case name from the spec
 * @param layout layout of every per-sample tensor of the case
 * @param shape shape of the input in {@code layout}
 * @param channels number of channels C
 * @param samplesPerChannel m = N (dense) or N*H*W (conv): how many values each channel's moments use
 * @param eps PyTorch eps (added to the variance inside the square root)
 * @param momentum PyTorch momentum (weight of the new batch statistic)
 * @param input x
 * @param gamma scale
 * @param beta shift
 * @param gradOutput upstream gradient dL/dy used for the backward pass
 * @param trainOutput y in training mode (batch statistics, biased variance)
 * @param gradInput dL/dx in training mode
 * @param gradGamma dL/dgamma in training mode
 * @param gradBeta dL/dbeta in training mode
 * @param initialRunningMean running mean before the first update
 * @param initialRunningVar running variance before the first update
 * @param updates the k train-mode updates with PyTorch's running statistics after each
 * @param evalOutput y in eval mode for {@code input}, using the running statistics after the last update
 */
public record BnReferenceCase(String name, Layout layout, int[] shape, int channels, int samplesPerChannel,
        double eps, double momentum, float[] input, float[] gamma, float[] beta, float[] gradOutput,
        float[] trainOutput, float[] gradInput, float[] gradGamma, float[] gradBeta,
        float[] initialRunningMean, float[] initialRunningVar, List<RunningUpdate> updates, float[] evalOutput) {

    /**
     * One train-mode forward pass of PyTorch and its running statistics afterwards.
     *
     * @param input the batch
     * @param runningMean PyTorch running_mean after this update
     * @param runningVar PyTorch running_var after this update (EMA of the UNBIASED batch variance)
     */
    public record RunningUpdate(float[] input, float[] runningMean, float[] runningVar) { }

    @Override
    public String toString() {
        return name;
    }
}
