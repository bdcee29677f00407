package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;

/**
 * A training-mode forward pass computed in inference mode: as each BN layer's input arrives, its
 * batch statistics are computed ({@link BatchStatisticsCapture#of}) and written in place of the
 * layer's moving statistics, so the layer normalises with them exactly as training mode would
 * (DL4J's training and inference branches both compute {@code gamma (x - mean) / sqrt(var + eps) +
 * beta}, training with the batch's biased variance, which is what is written). The moving
 * statistics are put back, bit for bit, when the pass ends, also on failure.
 *
 * <p>Why: DL4J 1.0.0-M2.1 computes the training-mode batch variance with a strided reduction
 * ({@code Variance} over every axis but the channel) that costs more than the convolutions around
 * it on a full-width MobileNetV2, while the statistics are read here anyway, in one pass over the
 * buffer, in double precision. Results differ from training mode by float rounding only: the
 * variance written is the more accurate one.
 *
 * <p>Applies only where every other layer computes the same in both modes: the layer types listed
 * in {@link #applies} with no weight noise (dropout is suspended by the caller), and graph vertices
 * of DL4J's own {@code vertex.impl} package. Anything else (a frozen or custom layer, an LSTM, weight
 * noise) keeps the training-mode pass. Not thread-safe: the network is changed for the pass.
 */
final class BatchStatisticsPass {
    private BatchStatisticsPass() {
    }

    /**
     * @param net a network
     * @return whether its training-mode pass can be computed in inference mode with batch statistics
     */
    static boolean applies(BnNetwork net) {
        for (Layer layer : net.allLayers()) {
            if (!trainInvariant(layer.conf().getLayer())) {
                return false;
            }
        }
        if (net.model() instanceof ComputationGraph graph) {
            for (GraphVertex v : graph.getVertices()) {
                if (!v.hasLayer() && !v.getClass().getPackageName().equals("org.deeplearning4j.nn.graph.vertex.impl")) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean trainInvariant(org.deeplearning4j.nn.conf.layers.Layer conf) {
        boolean known = conf instanceof BatchNormalization || conf instanceof ConvolutionLayer
                || conf instanceof SubsamplingLayer || conf instanceof DenseLayer || conf instanceof OutputLayer
                || conf instanceof LossLayer || conf instanceof CnnLossLayer || conf instanceof ActivationLayer
                || conf instanceof GlobalPoolingLayer || conf instanceof Upsampling2D || conf instanceof ZeroPaddingLayer
                || conf instanceof Cropping2D || conf instanceof DropoutLayer;
        return known && !(conf instanceof BaseLayer b && b.getWeightNoise() != null);
    }

    /**
     * Runs the pass; the caller has checked {@link #applies} and suspended dropout.
     *
     * @param net the network
     * @param features its inputs for one batch
     * @return statistics per BN layer name, or null if the output path does not reach every BN
     *     layer (the caller then runs the training-mode pass)
     */
    static Map<String, BatchStatistics> capture(BnNetwork net, INDArray[] features) {
        Map<String, BatchStatistics> seen = new HashMap<>();
        BnNetwork.close(run(net, features, seen));
        return seen.size() == net.bnLayers().size() ? seen : null;
    }

    /**
     * The network's training-mode outputs (every BN layer normalised with its batch statistics),
     * computed by the substituted pass where it {@linkplain #applies applies} and no layer has
     * dropout (training mode would draw its masks), else by DL4J's training branch.
     *
     * @param net the network
     * @param features its inputs for one batch
     * @return the outputs, detached
     */
    static INDArray[] trainingModeOutput(BnNetwork net, INDArray[] features) {
        boolean dropout = net.allLayers().stream().anyMatch(l -> l.conf().getLayer().getIDropout() != null);
        if (dropout || !applies(net)) {
            return net.output(features, true);
        }
        // a BN layer the output path does not reach cannot change the outputs
        return run(net, features, new HashMap<>());
    }

    /**
     * Runs the pass; the caller has checked {@link #applies} and suspended dropout.
     *
     * @param net the network
     * @param features its inputs for one batch
     * @param seen receives the statistics of each BN layer the output path reaches
     * @return the training-mode outputs, detached (a BN layer the output path does not reach cannot
     *     change them)
     */
    static INDArray[] run(BnNetwork net, INDArray[] features, Map<String, BatchStatistics> seen) {
        try (MovingStatisticsBackup ignored = MovingStatisticsBackup.of(net)) {
            return net.observedOutput(features, false, (ref, input) -> {
                if (!seen.containsKey(ref.name())) {
                    BatchStatistics s = BatchStatisticsCapture.of(ref, input);
                    seen.put(ref.name(), s);
                    substitute(net, ref, s);
                }
            });
        }
    }

    /** Writes the batch's mean and biased variance as the layer's moving statistics. */
    private static void substitute(BnNetwork net, BnLayerRef ref, BatchStatistics s) {
        try (var ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            MovingStatistics.put(net, ref, new MeanVariance(s.moments().mean(), s.moments().biasedVariance()));
        }
    }
}
