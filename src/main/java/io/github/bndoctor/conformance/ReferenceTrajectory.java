package io.github.bndoctor.conformance;

import java.util.List;
import java.util.Map;

/**
 * Few-step plain-SGD trajectory of a tiny conv(3x3, bias) - BN - ReLU - global average pool -
 * linear(1) network trained by PyTorch with {@code MSELoss(reduction="mean")}.
 *
 * <p>Parameter names: {@code convWeight} [C, Cin, k, k], {@code convBias} [C], {@code gamma},
 * {@code beta}, {@code runningMean}, {@code runningVar} [C], {@code fcWeight} [1, C] (PyTorch's
 * [out, in]), {@code fcBias} [1].
 *
 * @param batch minibatch size N
 * @param channelsIn input channels
 * @param channels conv output channels C (the BN channels)
 * @param size input height = width
 * @param kernel conv kernel size (stride 1, no padding)
 * @param learningRate SGD learning rate
 * @param eps BN eps
 * @param momentum BN momentum (PyTorch)
 * @param initial parameters before the first step
 * @param steps the steps, in order
 */
public record ReferenceTrajectory(int batch, int channelsIn, int channels, int size, int kernel,
        double learningRate, double eps, double momentum, Map<String, float[]> initial, List<Step> steps) {

    /**
     * One SGD step.
     *
     * @param input the minibatch [N, Cin, size, size]
     * @param target regression targets [N, 1]
     * @param loss PyTorch's loss on this minibatch before the update
     * @param params all parameters and running statistics after the update
     */
    public record Step(float[] input, float[] target, float loss, Map<String, float[]> params) { }

    /** Samples per BN channel: N * H' * W' with H' = W' = size - kernel + 1. */
    public int samplesPerChannel() {
        int out = size - kernel + 1;
        return batch * out * out;
    }
}
