package io.github.bndoctor.scenario;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Per-element mean squared error of the sigmoid heatmaps against the labels, measured on a probe
 * set in either batch-norm mode.
 *
 * <p>This is the metric of the calibration's ratios: {@link #inferenceMode} uses the moving
 * statistics ({@code output(false, ...)}); {@link #trainingMode} uses batch statistics
 * ({@code output(true, ...)}) over minibatches of the training batch size, so each batch's
 * statistics are as noisy as during training. Neither updates the moving statistics (DL4J updates
 * them only in backprop). The value does not include regularisation and does not depend on
 * {@link ScenarioConfig#meanNormalisedLoss()}.
 */
public final class ProbeLoss {

    private ProbeLoss() {
    }

    /**
     * @param graph the network
     * @param probe features {@code [n,1,32,32]} and labels {@code [n,K,8,8]}
     * @param batchSize minibatch size for the batch statistics; {@code n} must be a multiple
     * @return mean squared error with batch-norm in training mode (batch statistics)
     */
    public static double trainingMode(ComputationGraph graph, DataSet probe, int batchSize) {
        long n = probe.getFeatures().size(0);
        if (batchSize < 2 || n % batchSize != 0) {
            throw new IllegalArgumentException("probe size " + n + " must be a positive multiple of batchSize "
                    + batchSize + " (>= 2)");
        }
        double sum = 0;
        for (long s = 0; s < n; s += batchSize) {
            INDArray x = probe.getFeatures().get(rows(s, s + batchSize, 4));
            INDArray y = probe.getLabels().get(rows(s, s + batchSize, 4));
            sum += squaredError(graph.outputSingle(true, x), y);
        }
        return sum / probe.getLabels().length();
    }

    /**
     * @param graph the network
     * @param probe features and labels
     * @return mean squared error with batch-norm in inference mode (moving statistics)
     */
    public static double inferenceMode(ComputationGraph graph, DataSet probe) {
        INDArray out = graph.outputSingle(false, probe.getFeatures());
        return squaredError(out, probe.getLabels()) / probe.getLabels().length();
    }

    /**
     * @param probe labels of the probe set
     * @return the loss of an all-zeros prediction (mean squared label), the level the inference loss
     *     sits at while the moving statistics are still far off
     */
    public static double allZerosLevel(DataSet probe) {
        INDArray y = probe.getLabels().castTo(DataType.DOUBLE);
        return y.mul(y).sumNumber().doubleValue() / y.length();
    }

    private static double squaredError(INDArray out, INDArray labels) {
        INDArray d = out.castTo(DataType.DOUBLE).sub(labels.castTo(DataType.DOUBLE));
        return d.mul(d).sumNumber().doubleValue();
    }

    private static INDArrayIndex[] rows(long from, long to, int rank) {
        INDArrayIndex[] idx = new INDArrayIndex[rank];
        idx[0] = NDArrayIndex.interval(from, to);
        for (int i = 1; i < rank; i++) {
            idx[i] = NDArrayIndex.all();
        }
        return idx;
    }
}
