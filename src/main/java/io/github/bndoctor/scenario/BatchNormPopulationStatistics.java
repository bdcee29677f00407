package io.github.bndoctor.scenario;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Estimates every batch-norm layer's population statistics from training-mode forward passes and
 * writes them into the layer's moving mean and variance.
 *
 * <p>For each minibatch of the given size, the graph is run forward in training mode (so every BN
 * normalises with its batch statistics, exactly as during {@code fit}) and the per-channel mean
 * and biased variance of each BN's <em>input</em> are taken; the written values are the averages
 * over minibatches, i.e. the quantities DL4J's moving averages estimate (DL4J updates with the
 * biased batch variance, {@code input.var(false, ...)}). Training-mode activations do not depend on
 * the moving statistics, so all layers can be estimated from the same passes.
 *
 * <p>Used by {@link ScenarioRun} for the warm start (moving statistics initialised from the
 * initial weights, so inference mode is meaningful from iteration 0 instead of after the
 * ~2,000-iteration warm-up the prototype saw at decay 0.997), and by the scenario calibration as a
 * private precise-BN check. It is scoped to this package on purpose; the library's precise-BN
 * remedy lives elsewhere.
 */
final class BatchNormPopulationStatistics {

    private BatchNormPopulationStatistics() {
    }

    /**
     * Recomputes and writes the moving statistics of every batch-norm layer of {@code graph}.
     *
     * @param graph graph to modify in place (pass a clone to keep the original)
     * @param features input samples {@code [n,1,32,32]}
     * @param batchSize minibatch size of the training-mode passes (the training batch size)
     * @throws IllegalArgumentException if {@code n < batchSize} or {@code batchSize < 2}
     */
    static void recompute(ComputationGraph graph, INDArray features, int batchSize) {
        long n = features.size(0);
        if (batchSize < 2 || n < batchSize) {
            throw new IllegalArgumentException("need batchSize >= 2 and at least one full batch, got batchSize="
                    + batchSize + " and " + n + " samples");
        }
        Map<String, String> inputOf = new HashMap<>();
        for (GraphVertex v : graph.getVertices()) {
            if (v.hasLayer() && v.getLayer().conf().getLayer() instanceof BatchNormalization) {
                List<String> inputs = graph.getConfiguration().getVertexInputs().get(v.getVertexName());
                inputOf.put(v.getVertexName(), inputs.get(0));
            }
        }
        Map<String, INDArray> meanSum = new HashMap<>();
        Map<String, INDArray> varSum = new HashMap<>();
        int batches = 0;
        for (long start = 0; start + batchSize <= n; start += batchSize) {
            INDArray chunk = features.get(NDArrayIndex.interval(start, start + batchSize),
                    NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
            Map<String, INDArray> acts = graph.feedForward(chunk, true);
            for (Map.Entry<String, String> e : inputOf.entrySet()) {
                INDArray x = acts.get(e.getValue());
                INDArray mean = x.mean(0, 2, 3).castTo(DataType.DOUBLE);
                INDArray var = x.var(false, 0, 2, 3).castTo(DataType.DOUBLE);
                meanSum.merge(e.getKey(), mean, INDArray::add);
                varSum.merge(e.getKey(), var, INDArray::add);
            }
            batches++;
        }
        for (String bn : inputOf.keySet()) {
            INDArray mean = meanSum.get(bn).div(batches);
            INDArray var = varSum.get(bn).div(batches);
            write(graph, bn, mean, var);
        }
    }

    private static void write(ComputationGraph graph, String layer, INDArray mean, INDArray var) {
        Map<String, INDArray> table = graph.getLayer(layer).paramTable();
        INDArray meanParam = table.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        meanParam.assign(mean.reshape(meanParam.shape()).castTo(meanParam.dataType()));
        INDArray logStd = table.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
        if (logStd != null) {
            // DL4J stores log10(stdev) and reconstructs var = (10^log10s)^2
            INDArray value = Transforms.log(Transforms.sqrt(var, true), 10.0, false);
            logStd.assign(value.reshape(logStd.shape()).castTo(logStd.dataType()));
        } else {
            INDArray varParam = table.get(BatchNormalizationParamInitializer.GLOBAL_VAR);
            varParam.assign(var.reshape(varParam.shape()).castTo(varParam.dataType()));
        }
    }
}
