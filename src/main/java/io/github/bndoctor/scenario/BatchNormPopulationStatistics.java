package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.probe.PreciseStatistics;
import io.github.bndoctor.stats.PopulationEstimator;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;


/**
 * Estimates every batch-norm layer's population statistics from training-mode forward passes and
 * writes them into the layer's moving mean and variance: the library's
 * {@link PreciseStatistics} with the {@link PopulationEstimator#MEAN_OF_BATCH_VARIANCES}
 * estimator (the average of per-batch means and biased variances, i.e. what DL4J's moving
 * averages estimate), written all-or-nothing by {@link MovingStatistics#writeAll}.
 *
 * <p>Used by {@link ScenarioRun} for the warm start (moving statistics initialised from the
 * initial weights, so inference mode is meaningful from iteration 0 instead of after the
 * ~2,000-iteration warm-up the seed report's PyTorch reproduction saw at decay 0.997), and by the scenario calibration as a
 * precise-BN check.
 */
final class BatchNormPopulationStatistics {

    private BatchNormPopulationStatistics() {
    }

    /**
     * Recomputes and writes the moving statistics of every batch-norm layer of {@code graph}.
     *
     * @param graph network to modify in place (pass a clone to keep the original)
     * @param features input samples in the network's input layout
     * @param batchSize minibatch size of the training-mode passes (the training batch size)
     * @throws IllegalArgumentException if {@code n < batchSize} or {@code batchSize < 2}
     */
    static void recompute(Model graph, INDArray features, int batchSize) {
        long n = features.size(0);
        if (batchSize < 2 || n < batchSize) {
            throw new IllegalArgumentException("need batchSize >= 2 and at least one full batch, got batchSize="
                    + batchSize + " and " + n + " samples");
        }
        List<INDArray[]> batches = new ArrayList<>();
        for (long start = 0; start + batchSize <= n; start += batchSize) {
            batches.add(new INDArray[] {features.get(NDArrayIndex.interval(start, start + batchSize))});
        }
        BnNetwork net = BnNetwork.requireBatchNorm(graph);
        MovingStatistics.writeAll(net, PreciseStatistics.estimate(net, batches.iterator(), (int) n,
                PopulationEstimator.MEAN_OF_BATCH_VARIANCES));
    }
}
