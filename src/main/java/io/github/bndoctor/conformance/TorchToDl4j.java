package io.github.bndoctor.conformance;

/**
 * The semantic mapping from PyTorch's BatchNorm to DL4J's (1.0.0-M2.1).
 *
 * <ul>
 *   <li><b>Momentum vs decay.</b> PyTorch: {@code running = (1 - momentum) * running + momentum * batch};
 *       DL4J: {@code global = decay * global + (1 - decay) * batch}. Hence {@code decay = 1 - momentum}.</li>
 *   <li><b>Running variance.</b> PyTorch feeds the UNBIASED batch variance (divisor m - 1) into the running
 *       variance, DL4J the BIASED one (divisor m); m is the number of values per channel (N, or N*H*W).
 *       Both normalise the training batch with the biased variance, so training outputs and gradients need
 *       no mapping; running variances do.</li>
 *   <li><b>eps.</b> Both add eps to the variance inside the square root: {@code (x - mean) / sqrt(var + eps)},
 *       in training and in inference, so eps maps one to one.</li>
 * </ul>
 *
 * <p>{@link #runningMeans} and {@link #runningVariances} turn a recorded PyTorch running-statistic
 * trajectory into the trajectory DL4J must produce from the same batches: each PyTorch step is inverted
 * to recover the batch statistic PyTorch used, that statistic is converted, and DL4J's update is applied.
 * All arithmetic is in double. The {@code decay} and {@code bessel} arguments exist so that a test can
 * apply a deliberately wrong mapping and watch the comparison fail.
 */
public final class TorchToDl4j {

    private TorchToDl4j() {
    }

    /** DL4J decay for a PyTorch momentum: {@code 1 - momentum}. */
    public static double decay(double torchMomentum) {
        if (!(torchMomentum > 0 && torchMomentum <= 1)) {
            throw new IllegalArgumentException("PyTorch momentum must be in (0, 1]: " + torchMomentum);
        }
        return 1.0 - torchMomentum;
    }

    /** Factor that turns an unbiased variance over m values into the biased one: (m - 1) / m. */
    public static double unbiasedToBiased(int samplesPerChannel) {
        if (samplesPerChannel < 2) {
            throw new IllegalArgumentException("need at least 2 samples per channel: " + samplesPerChannel);
        }
        return (samplesPerChannel - 1.0) / samplesPerChannel;
    }

    /**
     * DL4J running means after each step, given PyTorch's. With the exact mapping these equal PyTorch's.
     *
     * @param initial the running mean both start from
     * @param torch PyTorch's running mean after each step ({@code torch[t][channel]})
     * @param momentum PyTorch momentum the trajectory was recorded with
     * @param decay DL4J decay to apply (the exact mapping is {@link #decay(double)})
     * @return expected DL4J running mean after each step
     */
    public static double[][] runningMeans(float[] initial, float[][] torch, double momentum, double decay) {
        return map(initial, torch, momentum, decay, 1.0);
    }

    /**
     * DL4J running variances after each step, given PyTorch's.
     *
     * @param initial the running variance both start from
     * @param torch PyTorch's running variance after each step
     * @param momentum PyTorch momentum the trajectory was recorded with
     * @param decay DL4J decay to apply (exact: {@link #decay(double)})
     * @param bessel factor applied to PyTorch's recovered batch variance (exact: {@link #unbiasedToBiased(int)};
     *        1.0 would wrongly treat PyTorch's unbiased variance as DL4J's biased one)
     * @return expected DL4J running variance after each step
     */
    public static double[][] runningVariances(float[] initial, float[][] torch, double momentum, double decay,
            double bessel) {
        return map(initial, torch, momentum, decay, bessel);
    }

    /**
     * PyTorch's batch statistic at each step, recovered by inverting its update:
     * {@code batch_t = (torch_t - (1 - momentum) * torch_{t-1}) / momentum}.
     */
    public static double[][] recoveredBatchStatistics(float[] initial, float[][] torch, double momentum) {
        double[][] out = new double[torch.length][initial.length];
        for (int t = 0; t < torch.length; t++) {
            for (int c = 0; c < initial.length; c++) {
                double previous = t == 0 ? initial[c] : torch[t - 1][c];
                out[t][c] = (torch[t][c] - (1.0 - momentum) * previous) / momentum;
            }
        }
        return out;
    }

    private static double[][] map(float[] initial, float[][] torch, double momentum, double decay, double factor) {
        double[][] batch = recoveredBatchStatistics(initial, torch, momentum);
        double[][] out = new double[torch.length][initial.length];
        for (int t = 0; t < torch.length; t++) {
            for (int c = 0; c < initial.length; c++) {
                double previous = t == 0 ? initial[c] : out[t - 1][c];
                out[t][c] = decay * previous + (1.0 - decay) * factor * batch[t][c];
            }
        }
        return out;
    }
}
