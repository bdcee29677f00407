package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights feeding each BN layer of a network: the {@code W} parameter of the nearest layer
 * before the BN layer, walking back through parameterless single-input layers. A BN layer fed by a
 * layer with parameters but no {@code W} (another BN layer) or by the network's input has none.
 *
 * <p>A BN layer of a graph fed by a merge ({@code MergeVertex}, {@code ElementWiseVertex}) of
 * such layers' outputs is fed by all of them ({@link #feedingGroupOf}): their weights, read one
 * after the other as one vector ({@link #read}), are one linear map of the merged inputs, exactly
 * for a sum ({@code W_a p_a + W_b p_b = [W_a W_b][p_a; p_b]}) and channel block by channel block for
 * a concatenation, and BN makes its output invariant to that map's joint scale. Inputs of the merge
 * that lead back to no weights (the identity branch of a residual block, another BN layer) add
 * none. Such a layer has no single {@link #feedingLayerOf feeding layer}: the lag forecast, which
 * reads one layer's updater, does not cover it.
 *
 * <p>BN makes its output invariant to the scale of these weights, so only their direction matters:
 * {@link RotationTracker} measures its angular speed, {@link WeightSnapshotRing} its angle to
 * older directions.
 */
public final class FeedingWeights {
    private final Map<String, String> feedingLayer;
    private final Map<String, List<String>> feedingGroup;

    private FeedingWeights(Map<String, String> feedingLayer, Map<String, List<String>> feedingGroup) {
        this.feedingLayer = Collections.unmodifiableMap(feedingLayer);
        this.feedingGroup = Collections.unmodifiableMap(feedingGroup);
    }

    /**
     * @param net a network
     * @return the feeding layer of each of its BN layers, in forward order
     */
    public static FeedingWeights of(BnNetwork net) {
        Map<String, String> map = new LinkedHashMap<>();
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (BnLayerRef ref : net.bnLayers()) {
            String single = feeding(net, ref);
            map.put(ref.name(), single);
            groups.put(ref.name(), single != null ? List.of(single) : merged(net, ref));
        }
        return new FeedingWeights(map, groups);
    }

    /**
     * @param bnLayer a BN layer
     * @return the layers whose weights feed it, in the order {@link #read} concatenates them: its
     *     single feeding layer, the layers feeding the merge before it, or none
     */
    public List<String> feedingGroupOf(String bnLayer) {
        return feedingGroup.getOrDefault(bnLayer, List.of());
    }

    /** @return BN layer name to the name of the layer whose weights feed it ({@code null} if none), in forward order */
    public Map<String, String> feedingLayers() {
        return feedingLayer;
    }

    /**
     * @param bnLayer a BN layer
     * @return the name of the layer whose weights feed it, or {@code null}
     */
    public String feedingLayerOf(String bnLayer) {
        return feedingLayer.get(bnLayer);
    }

    /**
     * @param net the network (the one this was built from)
     * @param bnLayer a BN layer
     * @return the runtime layer whose weights feed it, or {@code null}
     */
    public Layer layerOf(BnNetwork net, String bnLayer) {
        String layer = feedingLayer.get(bnLayer);
        return layer == null ? null : layerByName(net, layer);
    }

    /**
     * @param net the network (the one this was built from)
     * @param bnLayer a BN layer
     * @return a copy of its feeding weights, flattened in C order, or {@code null} if it has none
     */
    public double[] read(BnNetwork net, String bnLayer) {
        return read(net, bnLayer, null);
    }

    /**
     * As {@link #read(BnNetwork, String)} into a caller's array when it has the right length, so a
     * listener reading every iteration allocates nothing (each allocation here is the size of the
     * layer's weights, and the garbage drives the collector that also frees ND4J's native memory).
     *
     * @param net the network (the one this was built from)
     * @param bnLayer a BN layer
     * @param into an array to fill, or {@code null}
     * @return {@code into} filled if its length matches, else a new array; {@code null} if the layer
     *     has no feeding weights
     */
    public double[] read(BnNetwork net, String bnLayer, double[] into) {
        List<String> group = feedingGroupOf(bnLayer);
        if (group.isEmpty()) {
            return null;
        }
        if (group.size() == 1) {
            return flattenC(layerByName(net, group.get(0)).getParam("W"), into);
        }
        long length = 0;
        for (String name : group) {
            length += layerByName(net, name).getParam("W").length();
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("the weights feeding " + bnLayer + " hold " + length
                    + " elements, more than one array can");
        }
        double[] out = into != null && into.length == length ? into : new double[(int) length];
        int at = 0;
        for (String name : group) {
            INDArray w = layerByName(net, name).getParam("W");
            copyC(w, out, at);
            at += (int) w.length();
        }
        return out;
    }

    /**
     * Copies an array, flattened in C order, into doubles. A float or double array on the host is
     * read straight from its buffer along its strides ({@link DataBuffer#getDouble(long)}, which widens
     * a float exactly): the listeners that call this every iteration would otherwise pay ND4J's
     * per-op dispatch (a cast and a copy), or a native buffer view, per layer.
     *
     * @param w an array
     * @param into an array to fill if its length is {@code w}'s, or {@code null}
     * @return its elements in C order ({@code into} if it was used)
     */
    static double[] flattenC(INDArray w, double[] into) {
        if (w.isEmpty()) {
            return new double[0]; // no buffer behind it
        }
        int n = (int) w.length();
        double[] out = into != null && into.length == n ? into : new double[n];
        copyC(w, out, 0);
        return out;
    }

    /** Writes {@code w}'s elements in C order into {@code out} from position {@code at} (as {@link #flattenC}). */
    private static void copyC(INDArray w, double[] out, int at) {
        DataType type = w.dataType();
        if (w.isEmpty()) {
            return;
        }
        int n = (int) w.length();
        long[] shape = w.shape();
        long[] stride = w.stride();
        DataBuffer b = w.data();
        // a view's buffer may itself start at an offset into the parent buffer (as in VectorReader)
        long start = w.offset() - b.offset();
        long first = start;
        long last = start;
        for (int d = 0; d < shape.length; d++) {
            long reach = (shape[d] - 1) * stride[d];
            first += Math.min(0, reach);
            last += Math.max(0, reach);
        }
        if ((type != DataType.FLOAT && type != DataType.DOUBLE) || first < 0 || last >= b.length()) {
            System.arraycopy(w.castTo(DataType.DOUBLE).dup('c').data().asDouble(), 0, out, at, n);
            return;
        }
        // dimensions of size 1 dropped and each dimension merged into the one before it where they are
        // contiguous: the same C order, walked with as long an inner loop as the layout allows
        long[] dims = new long[Math.max(1, shape.length)];
        long[] steps = new long[dims.length];
        int rank = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (rank > 0 && steps[rank - 1] == stride[d] * shape[d]) {
                dims[rank - 1] *= shape[d];
                steps[rank - 1] = stride[d];
            } else {
                dims[rank] = shape[d];
                steps[rank] = stride[d];
                rank++;
            }
        }
        if (rank == 0) {
            dims[0] = 1;
            rank = 1;
        }
        long inner = dims[rank - 1];
        long step = steps[rank - 1];
        long[] index = new long[rank];
        long pos = start;
        for (int e = 0; e < n; ) {
            long p = pos;
            for (long j = 0; j < inner; j++, p += step) {
                out[at + e++] = b.getDouble(p);
            }
            // odometer over the outer dimensions of the C-order multi-index, moving the buffer position along the strides
            for (int d = rank - 2; d >= 0; d--) {
                index[d]++;
                pos += steps[d];
                if (index[d] < dims[d]) {
                    break;
                }
                pos -= steps[d] * dims[d];
                index[d] = 0;
            }
        }
    }

    private static Layer layerByName(BnNetwork net, String name) {
        if (net.model() instanceof ComputationGraph g) {
            return g.getLayer(name);
        }
        MultiLayerNetwork mln = (MultiLayerNetwork) net.model();
        return mln.getLayer(Integer.parseInt(name));
    }

    /**
     * The layers with weights behind the merge that feeds a graph's BN layer, walking back through
     * parameterless layers and further merges (called where no single feeding layer was found: the
     * walk then ends at a merge, the input or a layer without {@code W}, and only a merge adds any).
     */
    private static List<String> merged(BnNetwork net, BnLayerRef ref) {
        if (!(net.model() instanceof ComputationGraph g)) {
            return List.of();
        }
        List<String> inputs = g.getConfiguration().getVertexInputs().get(ref.name());
        if (inputs == null || inputs.size() != 1) {
            return List.of();
        }
        java.util.LinkedHashSet<String> found = new java.util.LinkedHashSet<>();
        collect(g, inputs.get(0), found, new java.util.HashSet<>());
        return List.copyOf(found);
    }

    private static void collect(ComputationGraph g, String vertex, java.util.Set<String> found,
                                java.util.Set<String> seen) {
        if (!seen.add(vertex)) {
            return;
        }
        GraphVertex v = g.getVertex(vertex);
        if (v == null || v.isInputVertex()) {
            return;
        }
        if (v.hasLayer()) {
            if (v.getLayer().paramTable().containsKey("W")) {
                found.add(vertex);
                return;
            }
            if (v.getLayer().numParams() > 0) {
                return;
            }
        }
        List<String> inputs = g.getConfiguration().getVertexInputs().get(vertex);
        if (inputs != null) {
            for (String in : inputs) {
                collect(g, in, found, seen);
            }
        }
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
