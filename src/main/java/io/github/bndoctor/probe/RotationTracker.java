package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Angular speed of the weights feeding each BN layer. BN makes the output invariant to the scale
 * of those weights, so only their direction matters, and a direction that turns fast moves the
 * BN input statistics fast: with an EMA window of {@code 1/(1-d)} the moving statistics trail
 * the batch statistics by about {@code rotation x d/(1-d)} degrees' worth of change (the steady lag
 * of {@link io.github.bndoctor.stats.Ema#steadyLag}). Adam's normalised steps keep the rotation
 * high however large the weights grow, which is the mechanism behind the reported divergence.
 *
 * <p>The feeding weights are those of {@link FeedingWeights}; a BN layer fed by a merge or
 * element-wise vertex has none, and reports {@code NaN}.
 */
public final class RotationTracker {
    private final FeedingWeights feeding;
    private final Map<String, double[]> previous = new HashMap<>();
    private long previousIteration = -1;

    /**
     * @param net the network to track
     */
    public RotationTracker(BnNetwork net) {
        this.feeding = FeedingWeights.of(net);
    }

    /**
     * @param name a BN layer
     * @return the name of the layer whose weights feed it, or {@code null}
     */
    public String feedingLayerOf(String name) {
        return feeding.feedingLayerOf(name);
    }

    /**
     * Records the current weights and returns the rotation since the previous call.
     *
     * @param net the network (the same one)
     * @param iteration the current iteration
     * @return degrees per iteration per BN layer ({@code NaN} on the first call or without feeding weights)
     */
    public Map<String, Double> update(BnNetwork net, long iteration) {
        Map<String, Double> out = new LinkedHashMap<>();
        long steps = previousIteration < 0 ? 0 : iteration - previousIteration;
        for (String bn : feeding.feedingLayers().keySet()) {
            double[] w = feeding.read(net, bn);
            if (w == null) {
                out.put(bn, Double.NaN);
                continue;
            }
            double[] old = previous.put(bn, w);
            out.put(bn, old == null || steps <= 0 ? Double.NaN : angleDegrees(old, w) / steps);
        }
        previousIteration = iteration;
        return out;
    }

    /**
     * @param a a vector
     * @param b another vector of the same length
     * @return the angle between them in degrees
     */
    public static double angleDegrees(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return angleDegrees(dot, na, nb);
    }

    /**
     * @param dot the dot product of two vectors
     * @param squaredNormA the first one's squared norm
     * @param squaredNormB the other's
     * @return the angle between them in degrees (the cosine clamped to [-1, 1] against rounding)
     */
    static double angleDegrees(double dot, double squaredNormA, double squaredNormB) {
        double cos = dot / Math.sqrt(squaredNormA * squaredNormB);
        return Math.toDegrees(Math.acos(Math.max(-1, Math.min(1, cos))));
    }

    /**
     * @param rotationDegPerIter rotation of the feeding weights
     * @param decay the BN layer's decay
     * @return predicted lag in degrees: {@code rotation x d/(1-d)}
     */
    public static double predictedLag(double rotationDegPerIter, double decay) {
        return rotationDegPerIter * decay / (1 - decay);
    }
}
