package io.github.bndoctor.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * One view over a {@link MultiLayerNetwork} or a {@link ComputationGraph}: its BN layers, their
 * parameters and the inputs they see in a forward pass.
 */
public abstract sealed class BnNetwork permits BnNetwork.Mln, BnNetwork.Graph {
    private final List<BnLayerRef> bnLayers;

    BnNetwork(List<BnLayerRef> bnLayers) {
        this.bnLayers = Collections.unmodifiableList(bnLayers);
    }

    /**
     * @param model a {@code MultiLayerNetwork} or {@code ComputationGraph}, initialised
     * @return the view
     * @throws IllegalArgumentException for other model types
     */
    public static BnNetwork of(Model model) {
        if (model instanceof MultiLayerNetwork mln) {
            return new Mln(mln);
        }
        if (model instanceof ComputationGraph graph) {
            return new Graph(graph);
        }
        throw new IllegalArgumentException("bn-doctor supports MultiLayerNetwork and ComputationGraph, got "
                + (model == null ? "null" : model.getClass().getName()));
    }

    /**
     * @param model a network
     * @return its view, which has at least one BN layer
     * @throws NoBatchNormException if it has none
     */
    public static BnNetwork requireBatchNorm(Model model) {
        BnNetwork net = of(model);
        if (net.bnLayers.isEmpty()) {
            throw new NoBatchNormException("the " + model.getClass().getSimpleName()
                    + " has no BatchNormalization layer; nothing to diagnose");
        }
        return net;
    }

    /** @return the BN layers in forward order */
    public List<BnLayerRef> bnLayers() {
        return bnLayers;
    }

    /**
     * @param name a layer name
     * @return the BN layer of that name
     * @throws NoBatchNormException if there is none
     */
    public BnLayerRef bnLayer(String name) {
        for (BnLayerRef ref : bnLayers) {
            if (ref.name().equals(name)) {
                return ref;
            }
        }
        throw new NoBatchNormException("no BatchNormalization layer named '" + name + "'; BN layers are "
                + bnLayers.stream().map(BnLayerRef::name).toList());
    }

    /** @return the underlying network */
    public abstract Model model();

    /** @return the flattened parameter vector (a live view) */
    public INDArray params() {
        return model().params();
    }

    /**
     * @param ref a BN layer of this network
     * @param param a parameter name
     * @return the parameter array (a live view)
     */
    public INDArray param(BnLayerRef ref, String param) {
        return layer(ref).getParam(param);
    }

    /**
     * Writes a parameter through the network-level API, which assigns into the existing view.
     *
     * @param ref a BN layer of this network
     * @param param a parameter name
     * @param value the new value, of the parameter's shape
     */
    public void setParam(BnLayerRef ref, String param, INDArray value) {
        model().setParam(ref.paramKey(param), value);
    }

    /**
     * Sets a BN layer's EMA decay for the following iterations. DL4J 1.0.0-M2.1 reads the decay
     * from the layer's configuration in every backprop, and that configuration object is the one
     * the network saves ({@code ModelSerializer}), so the new decay also survives save and load
     * (both tested on {@code MultiLayerNetwork} and {@code ComputationGraph}). The {@link BnLayerRef}s
     * of this view keep the decay they were read with; {@link #of} reads the new one.
     *
     * @param ref a BN layer of this network
     * @param decay the new decay, in (0, 1]
     * @return the decay it had
     */
    public double setDecay(BnLayerRef ref, double decay) {
        if (!(decay > 0 && decay <= 1)) {
            throw new IllegalArgumentException("decay must be in (0, 1], got " + decay);
        }
        BatchNormalization conf = (BatchNormalization) layer(ref).conf().getLayer();
        double old = conf.getDecay();
        conf.setDecay(decay);
        return old;
    }

    /**
     * @param ref a BN layer of this network
     * @return the decay in force now (which {@link #setDecay} may have changed since {@code ref} was read)
     */
    public double decay(BnLayerRef ref) {
        return ((BatchNormalization) layer(ref).conf().getLayer()).getDecay();
    }

    /**
     * @param ref a BN layer of this network
     * @return the runtime layer
     */
    public abstract Layer layer(BnLayerRef ref);

    /** @return every runtime layer, in forward order */
    public abstract List<Layer> allLayers();

    /**
     * Runs one forward pass and returns, for each BN layer, the array it receives as input (after
     * any input preprocessor). Parameters are not changed.
     *
     * @param features the network inputs (one per network input)
     * @param train whether to run in training mode (BN with batch statistics)
     * @return BN layer name to its input, in forward order
     */
    public abstract Map<String, INDArray> bnInputs(INDArray[] features, boolean train);

    /**
     * Runs one forward pass through the network's own output path and hands every BN layer's input
     * (after any input preprocessor) to {@code observer} while that input is live. DL4J keeps each
     * activation of that path in a workspace only until its consumers have run, so memory follows
     * the largest few activations, not all of them, and nothing is left for the garbage collector.
     * The array passed is valid only during the call: read it, do not keep it. Each BN layer is
     * observed once, in forward order; one that the output path does not reach (a branch that
     * feeds no output) is observed afterwards from a detached forward pass. The network is changed
     * for the pass only (an observing preprocessor in front of each BN layer) and restored
     * afterwards, also on failure: parameters are not changed. Not thread-safe.
     *
     * @param features the network inputs (one per network input)
     * @param train whether to run in training mode (BN with batch statistics)
     * @param observer receives each BN layer and its input
     */
    public void forEachBnInput(INDArray[] features, boolean train, BiConsumer<BnLayerRef, INDArray> observer) {
        close(forEachBnInputWithOutput(features, train, observer));
    }

    /**
     * As {@link #forEachBnInput}, keeping the outputs of the observed pass: the network's own
     * {@code output(features, train)}, which the observing preprocessors leave unchanged.
     *
     * @param features the network inputs (one per network input)
     * @param train whether to run in training mode (BN with batch statistics)
     * @param observer receives each BN layer and its input
     * @return the network outputs (detached)
     */
    INDArray[] forEachBnInputWithOutput(INDArray[] features, boolean train, BiConsumer<BnLayerRef, INDArray> observer) {
        Set<String> seen = new HashSet<>();
        INDArray[] out = observedOutput(features, train, (ref, input) -> {
            if (seen.add(ref.name())) {
                observer.accept(ref, input);
            }
        });
        if (seen.size() < bnLayers.size()) {
            try {
                Map<String, INDArray> rest = bnInputs(features, train);
                for (BnLayerRef ref : bnLayers) {
                    if (!seen.contains(ref.name())) {
                        observer.accept(ref, rest.get(ref.name()));
                    }
                }
            } catch (RuntimeException e) {
                close(out);
                throw e;
            }
        }
        return out;
    }

    /**
     * Frees detached outputs now rather than at the next garbage collection.
     *
     * @param outputs arrays returned by this class's passes; null entries and arrays that cannot be closed are skipped
     */
    public static void close(INDArray[] outputs) {
        for (INDArray o : outputs) {
            if (o != null && o.closeable()) {
                o.close();
            }
        }
    }

    /**
     * @param features network inputs
     * @param train training mode
     * @param observer called with each BN layer's input during the pass
     * @return the network outputs (detached)
     */
    abstract INDArray[] observedOutput(INDArray[] features, boolean train, BiConsumer<BnLayerRef, INDArray> observer);

    /** An input preprocessor that passes the BN input on unchanged after showing it to an observer. */
    private static final class Observing implements InputPreProcessor {
        private static final long serialVersionUID = 1L;
        private final InputPreProcessor inner;
        private final transient BnLayerRef ref;
        private final transient BiConsumer<BnLayerRef, INDArray> observer;

        Observing(InputPreProcessor inner, BnLayerRef ref, BiConsumer<BnLayerRef, INDArray> observer) {
            this.inner = inner;
            this.ref = ref;
            this.observer = observer;
        }

        @Override
        public INDArray preProcess(INDArray input, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
            INDArray x = inner == null ? input : inner.preProcess(input, miniBatchSize, workspaceMgr);
            observer.accept(ref, x);
            return x;
        }

        @Override
        public INDArray backprop(INDArray output, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
            return inner == null ? output : inner.backprop(output, miniBatchSize, workspaceMgr);
        }

        @Override
        public InputPreProcessor clone() {
            return this;
        }

        @Override
        public org.deeplearning4j.nn.conf.inputs.InputType getOutputType(org.deeplearning4j.nn.conf.inputs.InputType in) {
            return inner == null ? in : inner.getOutputType(in);
        }

        @Override
        public org.nd4j.common.primitives.Pair<INDArray, org.deeplearning4j.nn.api.MaskState> feedForwardMaskArray(
                INDArray mask, org.deeplearning4j.nn.api.MaskState state, int minibatchSize) {
            return inner == null ? new org.nd4j.common.primitives.Pair<>(mask, state)
                    : inner.feedForwardMaskArray(mask, state, minibatchSize);
        }
    }

    /** @return the number of network inputs */
    public abstract int numInputs();

    /**
     * @param features network inputs
     * @param train training mode
     * @return the network outputs
     */
    public abstract INDArray[] output(INDArray[] features, boolean train);

    /**
     * Training-mode outputs (every BN layer normalised with its batch statistics), as
     * {@code output(features, true)} gives them up to float rounding, at about the cost of an
     * inference pass where the network allows it ({@link BatchStatisticsPass}: no dropout active, no
     * layer that computes otherwise in training mode). Parameters are not changed. Not thread-safe.
     *
     * @param features network inputs
     * @return the network outputs, detached
     */
    public INDArray[] trainingModeOutput(INDArray[] features) {
        return BatchStatisticsPass.trainingModeOutput(this, features);
    }

    /** @return a deep copy of the network, as the same view type */
    public abstract BnNetwork copy();

    /**
     * One training iteration on one batch (the network's own {@code fit}).
     *
     * @param batch features and labels
     */
    public abstract void fit(org.nd4j.linalg.dataset.api.DataSet batch);

    /** @return the network's iteration count */
    public abstract int iterationCount();

    /**
     * The BN layers upstream of one BN layer: those whose output reaches its input, so whose moving
     * statistics' drift (through their weights' rotation) changes what it sees. In a
     * {@code MultiLayerNetwork} every earlier BN layer; in a {@code ComputationGraph} the BN layers
     * among the vertices its input is computed from (a parallel branch is not upstream).
     *
     * @param ref one of this network's BN layers
     * @return the names of the BN layers upstream of it, in forward order
     */
    public abstract Set<String> upstreamBnLayers(BnLayerRef ref);

    static BnLayerRef refOf(Layer layer, String name, int index, String keyPrefix) {
        BatchNormalization conf = (BatchNormalization) layer.conf().getLayer();
        VarianceParameterisation p = VarianceParameterisation.fromParamTable(layer.paramTable().keySet());
        if (p == null) {
            throw new NoBatchNormException("BN layer '" + name + "' has neither a 'var' nor a 'log10stdev' parameter: "
                    + layer.paramTable().keySet());
        }
        if (!(conf.getDecay() > 0 && conf.getDecay() <= 1)) {
            throw new io.github.bndoctor.BnDoctorException("BN layer '" + name + "' has decay " + conf.getDecay()
                    + " outside (0, 1]");
        }
        return new BnLayerRef(name, index, (int) conf.getNOut(), conf.getCnn2DFormat(), conf.getDecay(),
                conf.getEps(), p, conf.isLockGammaBeta(), keyPrefix);
    }

    static boolean isBn(Layer layer) {
        return layer instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization;
    }

    static INDArray preprocess(InputPreProcessor pre, INDArray in) {
        return pre == null ? in : pre.preProcess(in, (int) in.size(0), LayerWorkspaceMgr.noWorkspaces());
    }

    /** View of a {@link MultiLayerNetwork}. */
    static final class Mln extends BnNetwork {
        private final MultiLayerNetwork net;

        Mln(MultiLayerNetwork net) {
            super(find(net));
            this.net = net;
        }

        private static List<BnLayerRef> find(MultiLayerNetwork net) {
            requireInit(net.getLayers());
            List<BnLayerRef> out = new ArrayList<>();
            Layer[] layers = net.getLayers();
            for (int i = 0; i < layers.length; i++) {
                if (isBn(layers[i])) {
                    String name = layers[i].conf().getLayer().getLayerName();
                    out.add(refOf(layers[i], name == null ? String.valueOf(i) : name, i, i + "_"));
                }
            }
            return out;
        }

        @Override
        public Set<String> upstreamBnLayers(BnLayerRef ref) {
            int index = bnLayer(ref.name()).index();
            Set<String> out = new LinkedHashSet<>();
            for (BnLayerRef other : bnLayers()) {
                if (other.index() < index) {
                    out.add(other.name());
                }
            }
            return out;
        }

        @Override
        public Model model() {
            return net;
        }

        @Override
        public Layer layer(BnLayerRef ref) {
            return net.getLayer(ref.index());
        }

        @Override
        public List<Layer> allLayers() {
            return List.of(net.getLayers());
        }

        @Override
        public Map<String, INDArray> bnInputs(INDArray[] features, boolean train) {
            List<INDArray> acts = net.feedForward(single(features), train);
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (BnLayerRef ref : bnLayers()) {
                // acts.get(i) is the output of layer i-1, i.e. the input of layer i before its preprocessor
                out.put(ref.name(), preprocess(net.getLayerWiseConfigurations().getInputPreProcess(ref.index()),
                        acts.get(ref.index())));
            }
            return out;
        }

        @Override
        INDArray[] observedOutput(INDArray[] features, boolean train, BiConsumer<BnLayerRef, INDArray> observer) {
            INDArray x = single(features);
            org.deeplearning4j.nn.conf.MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
            Map<Integer, InputPreProcessor> saved = conf.getInputPreProcessors() == null ? null
                    : new java.util.HashMap<>(conf.getInputPreProcessors());
            Map<Integer, InputPreProcessor> observing = saved == null ? new java.util.HashMap<>() : new java.util.HashMap<>(saved);
            for (BnLayerRef ref : bnLayers()) {
                observing.put(ref.index(), new Observing(observing.get(ref.index()), ref, observer));
            }
            conf.setInputPreProcessors(observing);
            try {
                return new INDArray[] {net.output(x, train)};
            } finally {
                conf.setInputPreProcessors(saved);
            }
        }

        @Override
        public int numInputs() {
            return 1;
        }

        @Override
        public INDArray[] output(INDArray[] features, boolean train) {
            return new INDArray[] {net.output(single(features), train)};
        }

        @Override
        public BnNetwork copy() {
            return new Mln(net.clone());
        }

        @Override
        public void fit(org.nd4j.linalg.dataset.api.DataSet batch) {
            net.fit(batch);
        }

        @Override
        public int iterationCount() {
            return net.getIterationCount();
        }

        private static INDArray single(INDArray[] features) {
            if (features.length != 1) {
                throw new ShapeMismatchException("a MultiLayerNetwork takes one input array, got " + features.length);
            }
            return features[0];
        }
    }

    /** View of a {@link ComputationGraph}. */
    static final class Graph extends BnNetwork {
        private final ComputationGraph graph;

        Graph(ComputationGraph graph) {
            super(find(graph));
            this.graph = graph;
        }

        private static List<BnLayerRef> find(ComputationGraph graph) {
            requireInit(graph.getLayers());
            List<BnLayerRef> out = new ArrayList<>();
            for (int idx : graph.topologicalSortOrder()) {
                GraphVertex v = graph.getVertices()[idx];
                if (v.hasLayer() && isBn(v.getLayer())) {
                    out.add(refOf(v.getLayer(), v.getVertexName(), idx, v.getVertexName() + "_"));
                }
            }
            return out;
        }

        @Override
        public Set<String> upstreamBnLayers(BnLayerRef ref) {
            Map<String, List<String>> inputs = graph.getConfiguration().getVertexInputs();
            Set<String> seen = new HashSet<>();
            Deque<String> todo = new ArrayDeque<>(inputs.getOrDefault(bnLayer(ref.name()).name(), List.of()));
            while (!todo.isEmpty()) {
                String v = todo.pop();
                if (seen.add(v)) {
                    todo.addAll(inputs.getOrDefault(v, List.of()));
                }
            }
            Set<String> out = new LinkedHashSet<>();
            for (BnLayerRef other : bnLayers()) {
                if (seen.contains(other.name())) {
                    out.add(other.name());
                }
            }
            return out;
        }

        @Override
        public Model model() {
            return graph;
        }

        @Override
        public Layer layer(BnLayerRef ref) {
            return graph.getLayer(ref.name());
        }

        @Override
        public List<Layer> allLayers() {
            List<Layer> out = new ArrayList<>();
            for (int idx : graph.topologicalSortOrder()) {
                GraphVertex v = graph.getVertices()[idx];
                if (v.hasLayer()) {
                    out.add(v.getLayer());
                }
            }
            return out;
        }

        @Override
        public Map<String, INDArray> bnInputs(INDArray[] features, boolean train) {
            Map<String, INDArray> acts = graph.feedForward(features, train);
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (BnLayerRef ref : bnLayers()) {
                List<String> inputs = graph.getConfiguration().getVertexInputs().get(ref.name());
                LayerVertex vertex = (LayerVertex) graph.getVertex(ref.name());
                out.put(ref.name(), preprocess(vertex.getLayerPreProcessor(), acts.get(inputs.get(0))));
            }
            return out;
        }

        @Override
        INDArray[] observedOutput(INDArray[] features, boolean train, BiConsumer<BnLayerRef, INDArray> observer) {
            GraphVertex[] vertices = graph.getVertices();
            Map<Integer, GraphVertex> saved = new LinkedHashMap<>();
            try {
                for (BnLayerRef ref : bnLayers()) {
                    LayerVertex v = (LayerVertex) vertices[ref.index()];
                    saved.put(ref.index(), v);
                    vertices[ref.index()] = new LayerVertex(graph, v.getVertexName(), v.getVertexIndex(),
                            v.getInputVertices(), v.getOutputVertices(), v.getLayer(),
                            new Observing(v.getLayerPreProcessor(), ref, observer), v.isOutputVertex(), v.getDataType());
                }
                return graph.output(train, features);
            } finally {
                saved.forEach((index, v) -> vertices[index] = v);
            }
        }

        @Override
        public int numInputs() {
            return graph.getNumInputArrays();
        }

        @Override
        public INDArray[] output(INDArray[] features, boolean train) {
            return graph.output(train, features);
        }

        @Override
        public BnNetwork copy() {
            return new Graph(graph.clone());
        }

        @Override
        public void fit(org.nd4j.linalg.dataset.api.DataSet batch) {
            graph.fit(batch);
        }

        @Override
        public int iterationCount() {
            return graph.getConfiguration().getIterationCount();
        }
    }

    private static void requireInit(Layer[] layers) {
        if (layers == null) {
            throw new IllegalArgumentException("network is not initialised: call init() first");
        }
    }
}
