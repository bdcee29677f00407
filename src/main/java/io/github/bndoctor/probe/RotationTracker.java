package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Angular speed of the weights feeding each BN layer. BN makes the output invariant to the scale
 * of those weights, so only their direction matters, and a direction that turns fast moves the
 * BN input statistics fast: with an EMA window of {@code 1/(1-d)} the moving statistics trail
 * the batch statistics by about {@code rotation x d/(1-d)} degrees' worth of change (the steady lag
 * of {@link io.github.bndoctor.stats.Ema#steadyLag}). Adam's normalised steps keep the rotation
 * high however large the weights grow, which is the mechanism behind the reported divergence.
 *
 * <p>The feeding weights are the {@code W} parameter of the nearest layer before the BN layer,
 * walking back through parameterless single-input layers; a BN layer fed by a merge or
 * element-wise vertex has none, and reports {@code NaN}.
 */
public final class RotationTracker {
    private final Map<String, String> feedingLayer = new LinkedHashMap<>();
    private final Map<String, double[]> previous = new HashMap<>();
    private long previousIteration = -1;

    /**
     * @param net the network to track
     */
    public RotationTracker(BnNetwork net) {
        for (BnLayerRef ref : net.bnLayers()) {
            feedingLayer.put(ref.name(), feeding(net, ref));
        }
    }

    /**
     * @param name a BN layer
     * @return the name of the layer whose weights feed it, or {@code null}
     */
    public String feedingLayerOf(String name) {
        return feedingLayer.get(name);
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
        for (Map.Entry<String, String> e : feedingLayer.entrySet()) {
            if (e.getValue() == null) {
                out.put(e.getKey(), Double.NaN);
                continue;
            }
            double[] w = weights(net, e.getValue());
            double[] old = previous.put(e.getKey(), w);
            out.put(e.getKey(), old == null || steps <= 0 ? Double.NaN : angleDegrees(old, w) / steps);
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
        double cos = dot / Math.sqrt(na * nb);
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

    private static double[] weights(BnNetwork net, String layerName) {
        Layer l = layerByName(net, layerName);
        INDArray w = l.getParam("W");
        return w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    private static Layer layerByName(BnNetwork net, String name) {
        if (net.model() instanceof ComputationGraph g) {
            return g.getLayer(name);
        }
        MultiLayerNetwork mln = (MultiLayerNetwork) net.model();
        return mln.getLayer(Integer.parseInt(name));
    }

    private static String feeding(BnNetwork net, BnLayerRef ref) {
        if (net.model() instanceof MultiLayerNetwork mln) {
            for (int i = ref.index() - 1; i >= 0; i--) {
                Layer l = mln.getLayer(i);
                if (l.paramTable().containsKey("W")) {
                    return String.valueOf(i);
                }
                if (l.numParams() > 0) {
                    return null;
                }
            }
            return null;
        }
        ComputationGraph g = (ComputationGraph) net.model();
        String current = ref.name();
        while (true) {
            List<String> inputs = g.getConfiguration().getVertexInputs().get(current);
            if (inputs == null || inputs.size() != 1) {
                return null;
            }
            GraphVertex v = g.getVertex(inputs.get(0));
            if (v == null || !v.hasLayer()) {
                return null;
            }
            if (v.getLayer().paramTable().containsKey("W")) {
                return v.getVertexName();
            }
            if (v.getLayer().numParams() > 0) {
                return null;
            }
            current = v.getVertexName();
        }
    }
}
