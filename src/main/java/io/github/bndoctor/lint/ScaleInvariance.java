package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BatchStatistics;
import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How scale-invariant each BN layer's input still is: the mean over channels of
 * {@code v/(v+eps)}, {@code v} the biased batch variance the layer normalises with in training mode.
 *
 * <p>BN outputs {@code (x-m)/sqrt(v+eps)}: the scale-free output {@code (x-m)/sqrt(v)} times
 * {@code rho = sqrt(v/(v+eps))}. Scaling the feeding weights by {@code k} scales {@code v} by
 * {@code k^2}, so the output ignores the weights' scale only while {@code v >> eps}
 * ({@code d ln rho / d ln k = eps/(v+eps)}, one minus this share). The equilibrium rotation of
 * {@link EquilibriumRotation} and {@link LagForecast} assumes that invariance (Wan et al., arXiv
 * 2006.08419, section 2; Kosson et al., arXiv 2305.17212): once weight decay has shrunk the weights
 * until {@code v} is comparable to {@code eps}, the gradient gains a radial part that resists the
 * shrink and a smaller tangential part, and the weights turn slower than forecast. A share near 1
 * (at least 0.9: {@code v} ten times {@code eps}) says the forecast's premise holds for that layer.
 */
public final class ScaleInvariance {
    private ScaleInvariance() {
    }

    /**
     * @param net the network
     * @param features one batch of its inputs (training-mode forward pass, no parameter changes)
     * @return per BN layer, in forward order, the mean over channels of {@code v/(v+eps)}, in [0, 1]
     */
    public static Map<String, Double> of(BnNetwork net, INDArray[] features) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Map.Entry<String, BatchStatistics> e : BatchStatisticsCapture.capture(net, features, true).entrySet()) {
            double eps = e.getValue().layer().eps();
            double[] v = e.getValue().meanVariance().variance();
            double sum = 0;
            for (double x : v) {
                sum += x / (x + eps);
            }
            out.put(e.getKey(), sum / v.length);
        }
        return out;
    }
}
