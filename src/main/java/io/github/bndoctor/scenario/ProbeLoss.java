package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.probe.OutputGapProbe;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

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
        BnNetwork net = BnNetwork.of(graph);
        return LossMeasure.MSE.loss(OutputGapProbe.trainModeOutputs(net, new INDArray[] {probe.getFeatures()}, batchSize),
                new INDArray[] {probe.getLabels()});
    }

    /**
     * @param graph the network
     * @param probe features and labels
     * @return mean squared error with batch-norm in inference mode (moving statistics)
     */
    public static double inferenceMode(ComputationGraph graph, DataSet probe) {
        return LossMeasure.MSE.loss(new INDArray[] {graph.outputSingle(false, probe.getFeatures())},
                new INDArray[] {probe.getLabels()});
    }

    /**
     * @param probe labels of the probe set
     * @return the loss of an all-zeros prediction (mean squared label, {@link LossMeasure#zerosLoss}), the
     *     level the inference loss sits at while the moving statistics are still far off
     */
    public static double allZerosLevel(DataSet probe) {
        INDArray[] y = {probe.getLabels()};
        return LossMeasure.MSE.zerosLoss(y, y);
    }
}
