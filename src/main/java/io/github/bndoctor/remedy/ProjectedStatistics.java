package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DL4J {@code TrainingListener} that keeps the inference statistics of every BN layer fed directly
 * by a linear map exact for the map's current weights: it averages the moments of the map's input
 * patches over the training batches and projects them through the current weights.
 *
 * <p>A BN layer whose input is the output of a dense layer, a convolution, a depthwise convolution or a
 * separable convolution (a depthwise then a 1x1 convolution, which compose to one convolution of the input patch)
 * with identity activation sees {@code z = W p + b} at every position, {@code p} the input patch.
 * For any set of patches {@code E[z_o] = w_o . E[p] + b_o} and
 * {@code Var[z_o] = w_o^T E[p p^T] w_o - (w_o . E[p])^2} (the biased variance, as DL4J's batch
 * statistics). The listener keeps {@code E[p]} and {@code E[p p^T]} per layer as sums weighted by
 * {@code inputDecay^age} (age in training iterations) over the training batches (captured from the
 * training forward pass, {@code onForwardPass}): every {@code accumulateEvery}-th batch, with the
 * decay {@code inputDecay^accumulateEvery} per accumulated batch so the window in iterations does not
 * depend on it, and from each at most {@code maxPositions} output positions per layer, spread over the
 * batch and weighted so the moments stay unbiased (all positions of a smaller batch). The second moment is kept
 * as a within-batch covariance (the patches about their own batch's mean), added by the first accumulated batch and
 * every {@code covarianceEvery}-th after it with the decay {@code covarianceDecay^(accumulateEvery covarianceEvery)}
 * per such batch ({@code covarianceDecay} is the input decay unless set), plus the between-batch spread of every accumulated batch's mean (law of total variance); with
 * {@code covarianceEvery} 1 this is the pooled second moment of every accumulated batch. A layer whose batches
 * bring few patches (a dense layer at a small batch) gets a longer window: the decay per accumulated batch
 * is raised to keep at least {@code minSamples} patches in the window's effective sample size (Kish's
 * {@code (sum w)^2 / sum w^2}; the rule is in {@code PatchMoments}), so its projected statistics carry no
 * more sampling noise than precise statistics over that many samples. It writes the projected mean and
 * variance as the BN layer's moving statistics, in the layer's own parameterisation ({@code var} or {@code log10stdev}), every
 * {@code K} iterations, at the end of each epoch and on {@link #writeNow(Model)}. Averaging the
 * inputs rather than the outputs removes the lag that the rotation of {@code W} causes in a moving
 * average of batch statistics; what is left is the drift of the inputs themselves, which move only
 * as fast as the layers upstream. Cross-Iteration Batch Normalization (Yao et al., "Cross-Iteration
 * Batch Normalization", arXiv:2002.05712) compensates older statistics for weight changes to first
 * order; for the map that feeds the BN layer the projection is exact.
 *
 * <p>Contract: right after a write, a projected layer's moving statistics are the pooled statistics
 * of its input window passed through the current weights; between writes DL4J's own moving-average
 * update continues from the written values (with the layer's decay, configured or adapted). With
 * frozen weights, {@code inputDecay} 1 and {@code covarianceEvery} 1 they are the population statistics of every
 * accumulated batch's accumulated positions; with {@code covarianceEvery} above 1 the mean is, and the variance is
 * the weighted mean of the covariance batches' within-batch variances plus the weighted variance of every
 * accumulated batch's mean (both tested against a direct double loop). Cost per accumulated batch and layer
 * that adds no covariance: one read of the input buffer (sums without gathering where every position is taken)
 * and {@code D (D + 1) / 2} multiply-adds for the mean's outer product; per covariance batch and
 * layer: one read of the input buffer, {@code m D} gathered values and {@code m D (D + 1) / 2}
 * multiply-adds ({@code m} positions taken, {@code D} the patch length; per channel
 * {@code m k (k + 1) / 2}, {@code k = k_h k_w}, for a depthwise convolution; a stride-1 depthwise
 * convolution taking every position sums lag products instead, about {@code ((2 k_h - 1)(2 k_w - 1) + 1) / 2}
 * per input pixel and channel, and gathers nothing), in plain Java, or for a dense or convolution map with
 * {@code m D^2} at least 2^22 one native double matrix product {@code D x m} by {@code m x D} (the full square);
 * per write, one matrix product {@code D x D} by {@code D x n_out} per layer. Training itself is untouched: the listener reads
 * activations and weights and writes only moving statistics, which training mode never uses (the
 * training-mode trajectory is bit-identical with and without it, tested).
 *
 * <p>In a graph, a BN layer fed by a merge of such maps is projected too: after a concatenation along its
 * channel axis ({@code MergeVertex}, concatenations among its inputs flattened) each map's channels from that map's
 * own input moments, in the order of the concatenation (parts that are not such maps keep DL4J's moving average
 * for their channels, which are then left bit for bit as DL4J keeps them: {@link Path#PARTLY_PROJECTED}); after an element-wise sum, difference or average ({@code ElementWiseVertex} {@code Add},
 * {@code Subtract}, {@code Average}) of maps that read the same input with the same geometry (class, sizes,
 * kernel, stride, padding, mode, layout) through the combined weights, since
 * {@code sum_i c_i (W_i p + b_i) = (sum_i c_i W_i) p + sum_i c_i b_i}. A sum of maps over different inputs or
 * patches (a residual block's identity branch, a 3x3 next to a 1x1) would need the moments across them and is not
 * projected.
 *
 * <p>A BN layer fed by unpadded average pooling (truncate mode) of such a convolution, depthwise or separable
 * convolution (itself in truncate mode) is projected as the one convolution the two compose: a {@code k} kernel at
 * stride {@code s} then {@code k_p} windows at stride {@code s_p} average a {@code k + s (k_p - 1)} patch of the input
 * at stride {@code s s_p}; its moments are that patch's, {@code ((k + s (k_p - 1))^2 C_in)^2} entries.
 *
 * <p>Other BN layers (fed by max or padded pooling, a product or maximum, a merge of anything else, an activation, a layer with a
 * non-identity activation, dropout or weight noise, an input preprocessor, a dilated or causal
 * convolution, or a map whose moments would exceed {@link Builder#maxEntries(long)}) keep DL4J's
 * moving average; {@link #routes()} says which layer takes which path and why. Memory per projected
 * layer: {@code D^2} doubles (twice, a within and a between part, with {@code covarianceEvery} above 1 or a
 * covariance decay of its own) with {@code D = n_in} (dense) or
 * {@code k_h k_w C_in} (convolution), {@code C_in (k_h k_w)^2} for a depthwise convolution, on the Java heap (in native memory for the maps
 * summed natively), plus {@code m D} doubles of gathered patches (twice, Java and native, for those); a write
 * of a map kept in Java briefly holds a second {@code D^2} (the covariance) in Java and native memory.
 */
public final class ProjectedStatistics extends BaseTrainingListener {
    /** Default iterations between writes. */
    public static final int DEFAULT_EVERY = 10;
    /**
     * Default weight of the old input moments per batch (a window of about 10 batches): the inputs of deep
     * layers drift with the layers upstream, so a long input window lags too (on the seed scenario a
     * window of about 100 batches did worse than about 10; docs/projected-statistics.md).
     */
    public static final double DEFAULT_INPUT_DECAY = 0.9;
    /**
     * Default iterations per accumulated batch: the input moments take every second training batch, with
     * the decay per accumulation {@code inputDecay^2}, so the window in iterations stays the same.
     */
    public static final int DEFAULT_ACCUMULATE_EVERY = 2;
    /**
     * Default accumulated batches per covariance batch ({@link Builder#covarianceEvery(int)}).
     */
    public static final int DEFAULT_COVARIANCE_EVERY = 1;
    /**
     * Default most output positions one batch contributes per layer ({@link Builder#maxPositions(int)}): no
     * limit. Taking a spread subset is unbiased but adds sampling noise that the projected variances of
     * nearly dead channels are sensitive to (docs/projected-statistics.md); a limit is for networks whose
     * early layers have many positions and a cost budget.
     */
    public static final int DEFAULT_MAX_POSITIONS = Integer.MAX_VALUE;
    /**
     * Default sample floor of the input window ({@link Builder#minSamples(int)}): 256 patches, the samples
     * of the precise statistics the project's diagnoser recomputes by default; the standardised sampling
     * error of a channel's mean is then about {@code 1/sqrt(256)} and of its log variance about
     * {@code sqrt(2/256)} (Gaussian inputs). Convolutions at the defaults bring more patches per batch than
     * the default window needs, so the floor lengthens only the windows of maps with few patches per batch.
     */
    public static final int DEFAULT_MIN_SAMPLES = 256;
    /** Default largest second-moment entries per layer: 2^20 doubles (8 MiB), {@code D} up to 1,024. */
    public static final long DEFAULT_MAX_ENTRIES = 1L << 20;

    /** Which statistics a BN layer's inference uses. */
    public enum Path {
        /** Projected from its feeding map's input moments through the current weights. */
        PROJECTED,
        /** DL4J's moving average of batch statistics (the layer's own decay). */
        MOVING_AVERAGE,
        /**
         * Fed by a concatenation of which only some parts are linear maps: their channels projected, the others'
         * DL4J's moving average.
         */
        PARTLY_PROJECTED
    }

    /**
     * How one BN layer's inference statistics are kept.
     *
     * @param path projection or moving average
     * @param feedingLayer the linear map feeding it (the maps of a merge, comma-separated), or {@code null}
     * @param reason why this path (for the moving average: why no projection)
     */
    public record Route(Path path, String feedingLayer, String reason) {
    }

    private final int every;
    private final double inputDecay;
    private final long maxEntries;
    private final int accumulateEvery;
    private final int covarianceEvery;
    private final double covarianceDecay;
    private final int maxPositions;
    private final int minSamples;
    /** training forward passes seen since binding */
    private long passes;
    private Model bound;
    private BnNetwork net;
    private final Map<String, Route> routes = new LinkedHashMap<>();
    /** BN layer name to its channel groups in channel order: one for a single map or a sum, one per concatenated map */
    private final Map<String, List<Feed>> feeds = new LinkedHashMap<>();

    /**
     * One group of a BN layer's channels and what feeds it: the accumulator of the common input's patch moments,
     * that input (MLN layer index of the activation, or graph vertex name) and its preprocessor, and the maps whose
     * outputs are summed into these channels with their coefficients (one map with coefficient 1 unless the BN
     * layer is fed by an element-wise sum, difference or average of maps that share input and geometry).
     */
    private record Feed(PatchMoments moments, Object input, InputPreProcessor pre, List<Linear> maps,
                        double[] coefficients, int[] channels) {
        /**
         * Channels of a concatenated part that is not a linear map: they keep the moving average; {@code input} is
         * the part's own vertex, whose activation gives its channel count at the first training pass.
         */
        static Feed kept(String part) {
            return new Feed(null, part, null, List.of(), null, new int[] {-1});
        }

        boolean isKept() {
            return moments == null;
        }

        /** The projected statistics of these channels for the maps' current weights, or {@code null} before a batch. */
        MeanVariance project() {
            double[] w = null;
            double[] b = null;
            for (int i = 0; i < maps.size(); i++) {
                Linear map = maps.get(i);
                w = addScaled(w, map.weights(), coefficients[i]);
                double[] bias = map.bias();
                if (bias != null) {
                    b = addScaled(b, bias, coefficients[i]);
                }
            }
            return moments.project(w, b);
        }

        private static double[] addScaled(double[] sum, double[] v, double c) {
            double[] out = sum == null ? new double[v.length] : sum;
            for (int i = 0; i < v.length; i++) {
                out[i] += c * v[i];
            }
            return out;
        }
    }

    /**
     * One linear map of the input patch: a layer, or a convolution followed by unpadded average pooling, which is one
     * convolution ({@code conf}, composed; {@link PatchMoments#averagePooled}).
     *
     * @param name the name of the layer holding the weights
     * @param layer that layer
     * @param pool the average pooling after it, or {@code null}
     * @param conf the map's configuration as the accumulator sees it (the layer's, or the composed convolution's)
     */
    private record Linear(String name, Layer layer, SubsamplingLayer pool, org.deeplearning4j.nn.conf.layers.Layer conf) {
        static Linear of(Node node) {
            return new Linear(node.name(), node.layer(), null, node.layer().conf().getLayer());
        }

        double[] weights() {
            double[] w = PatchMoments.weights(layer);
            return pool == null ? w : PatchMoments.averagePooled(w, (ConvolutionLayer) layer.conf().getLayer(), pool);
        }

        double[] bias() {
            return layer.paramTable().containsKey("b") ? PatchMoments.values(layer.getParam("b")) : null;
        }

        /**
         * Why the pooling (mode Same) pads the convolution's output for this input, or {@code null}: Same pooling of
         * {@code n} positions in windows {@code k_p} at stride {@code s_p} pads unless
         * {@code (ceil(n / s_p) - 1) s_p + k_p <= n}.
         *
         * @param x the convolution's input as it reads it
         */
        String padded(INDArray x) {
            if (pool == null || pool.getConvolutionMode() != ConvolutionMode.Same) {
                return null;
            }
            ConvolutionLayer conv = (ConvolutionLayer) layer.conf().getLayer();
            boolean nhwc = conv.getCnn2dDataFormat() == CNN2DFormat.NHWC;
            for (int axis = 0; axis < 2; axis++) {
                long n = x.size(axis + (nhwc ? 1 : 2));
                int k = conv.getKernelSize()[axis];
                int s = conv.getStride()[axis];
                long convOut = conv.getConvolutionMode() == ConvolutionMode.Same ? n
                        : (n + 2L * conv.getPadding()[axis] - k) / s + 1;
                int kp = pool.getKernelSize()[axis];
                int sp = pool.getStride()[axis];
                long out = (convOut + sp - 1) / sp;
                if ((out - 1) * sp + kp > convOut) {
                    return "the average pooling after '" + name + "' (mode Same) padded a batch's "
                            + x.size(nhwc ? 1 : 2) + "x" + x.size(nhwc ? 2 : 3) + " input, so it is not one convolution"
                            + " of it; the moving average keeps it from then on";
                }
            }
            return null;
        }
    }

    /** A layer where the route is looked for: its name, the layer, its input (index or vertex) and preprocessor. */
    private record Node(String name, Layer layer, Object input, InputPreProcessor pre) {
    }

    private ProjectedStatistics(Builder b) {
        this.every = b.every;
        this.inputDecay = b.inputDecay;
        this.maxEntries = b.maxEntries;
        this.accumulateEvery = b.accumulateEvery;
        this.covarianceEvery = b.covarianceEvery;
        this.covarianceDecay = Double.isNaN(b.covarianceDecay) ? b.inputDecay : b.covarianceDecay;
        this.maxPositions = b.maxPositions;
        this.minSamples = b.minSamples;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return iterations between writes */
    public int every() {
        return every;
    }

    /** @return the input moments' decay per batch */
    public double inputDecay() {
        return inputDecay;
    }

    /** @return training iterations per accumulated batch */
    public int accumulateEvery() {
        return accumulateEvery;
    }

    /** @return accumulated batches per batch that adds its within-batch covariance */
    public int covarianceEvery() {
        return covarianceEvery;
    }

    /** @return the within-batch covariance's decay per training iteration */
    public double covarianceDecay() {
        return covarianceDecay;
    }

    /** @return the most output positions one batch contributes per layer */
    public int maxPositions() {
        return maxPositions;
    }

    /** @return the sample floor of the input window (0: none) */
    public int minSamples() {
        return minSamples;
    }

    /** @return the largest second-moment entries per projected layer */
    public long maxEntries() {
        return maxEntries;
    }

    /**
     * @param model the network to route (binds this listener to it, as the first training call does)
     * @return per BN layer, in forward order, which path its inference statistics take and why
     */
    public Map<String, Route> routes(Model model) {
        bindIfNew(model);
        return routes();
    }

    /** @return per BN layer of the bound network, in forward order, its path (empty before binding) */
    public Map<String, Route> routes() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(routes));
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        bindIfNew(model);
        if (skip()) {
            return;
        }
        accumulate((bn, f) -> activations.get((Integer) f.input()));
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        bindIfNew(model);
        if (skip()) {
            return;
        }
        accumulate((bn, f) -> {
            INDArray in = activations.get((String) f.input());
            if (in == null) {
                throw new IllegalStateException("the forward pass has no activation of '" + f.input()
                        + "', the input of '" + routes.get(bn).feedingLayer() + "'");
            }
            return in;
        });
    }

    /**
     * Adds this pass's inputs to every feed's moments. A BN layer whose average pooling (mode Same) would pad this
     * batch's input is not one convolution of it: it falls back to the moving average from then on, as its route says.
     */
    private void accumulate(java.util.function.BiFunction<String, Feed, INDArray> activation) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            Map<Feed, INDArray> inputs = new java.util.IdentityHashMap<>();
            for (var it = feeds.entrySet().iterator(); it.hasNext();) {
                Map.Entry<String, List<Feed>> e = it.next();
                String unfit = null;
                for (Feed f : e.getValue()) {
                    INDArray x = preprocess(f.pre(), activation.apply(e.getKey(), f));
                    if (f.isKept()) {
                        BnLayerRef ref = net.bnLayer(e.getKey());
                        f.channels()[0] = (int) x.size(ref.format() == CNN2DFormat.NHWC && x.rank() == 4 ? 3 : 1);
                        continue;
                    }
                    inputs.put(f, x);
                    for (Linear map : f.maps()) {
                        unfit = unfit == null ? map.padded(x) : unfit;
                    }
                }
                if (unfit != null) {
                    routes.put(e.getKey(), new Route(Path.MOVING_AVERAGE, null, unfit));
                    it.remove();
                }
            }
            inputs.forEach((f, x) -> f.moments().add(x));
        }
    }

    /** Counts this training pass; true unless it is the {@code accumulateEvery}-th since the last accumulated one. */
    private boolean skip() {
        return ++passes % accumulateEvery != 0;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if ((iteration + 1L) % every == 0) {
            writeNow(model);
        }
    }

    @Override
    public void onEpochEnd(Model model) {
        writeNow(model);
    }

    /**
     * The projected statistics for the current weights, without writing them.
     *
     * @param model the bound network
     * @return per projected BN layer that has seen at least one batch, its mean and biased variance
     */
    public Map<String, MeanVariance> statistics(Model model) {
        bindIfNew(model);
        Map<String, MeanVariance> out = new LinkedHashMap<>();
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            feeds.forEach((bn, groups) -> {
                MeanVariance s = project(bn, groups);
                if (s != null) {
                    out.put(bn, s);
                }
            });
        }
        return out;
    }

    /**
     * Writes the projected statistics of every projected BN layer that has seen a batch as its moving
     * statistics, all or nothing ({@link MovingStatistics#writeAll}); other layers are left as they are.
     *
     * @param model the network this listener is attached to
     * @return the statistics written
     */
    public Map<String, MeanVariance> writeNow(Model model) {
        Map<String, MeanVariance> stats = statistics(model);
        Map<String, MeanVariance> whole = new LinkedHashMap<>(stats);
        whole.keySet().removeIf(bn -> routes.get(bn).path() == Path.PARTLY_PROJECTED);
        if (!whole.isEmpty()) {
            MovingStatistics.writeAll(net, whole);
        }
        stats.forEach((bn, s) -> {
            if (!whole.containsKey(bn)) {
                boolean[] projected = new boolean[s.channels()];
                int at = 0;
                for (Feed f : feeds.get(bn)) {
                    java.util.Arrays.fill(projected, at, at + f.channels()[0], !f.isKept());
                    at += f.channels()[0];
                }
                MovingStatistics.writeChannels(net, net.bnLayer(bn), projected, s);
            }
        });
        return stats;
    }

    /**
     * The groups' projections side by side in channel order (a kept group's channels: the layer's moving statistics
     * as they stand), or {@code null} before the first batch.
     */
    private MeanVariance project(String bn, List<Feed> groups) {
        MeanVariance[] parts = new MeanVariance[groups.size()];
        MeanVariance moving = null;
        int channels = 0;
        for (int i = 0; i < parts.length; i++) {
            Feed f = groups.get(i);
            if (f.isKept()) {
                if (f.channels()[0] < 0) {
                    return null;
                }
                moving = moving == null ? MovingStatistics.read(net, net.bnLayer(bn)) : moving;
                parts[i] = new MeanVariance(
                        java.util.Arrays.copyOfRange(moving.mean(), channels, channels + f.channels()[0]),
                        java.util.Arrays.copyOfRange(moving.variance(), channels, channels + f.channels()[0]));
            } else {
                parts[i] = f.project();
                if (parts[i] == null) {
                    return null;
                }
            }
            channels += parts[i].channels();
        }
        double[] mean = new double[channels];
        double[] variance = new double[channels];
        int at = 0;
        for (MeanVariance p : parts) {
            System.arraycopy(p.mean(), 0, mean, at, p.channels());
            System.arraycopy(p.variance(), 0, variance, at, p.channels());
            at += p.channels();
        }
        return new MeanVariance(mean, variance);
    }

    private static INDArray preprocess(InputPreProcessor pre, INDArray in) {
        return pre == null ? in : pre.preProcess(in, (int) in.size(0), LayerWorkspaceMgr.noWorkspaces());
    }

    private void bindIfNew(Model model) {
        if (model == bound) {
            return;
        }
        bound = model;
        passes = 0;
        net = BnNetwork.requireBatchNorm(model);
        routes.clear();
        feeds.clear();
        for (BnLayerRef ref : net.bnLayers()) {
            route(ref);
        }
    }

    private void route(BnLayerRef ref) {
        if (model() instanceof MultiLayerNetwork mln) {
            if (ref.index() == 0) {
                fallback(ref, null, "it is the first layer");
                return;
            }
            if (mln.getLayerWiseConfigurations().getInputPreProcess(ref.index()) != null) {
                fallback(ref, null, "an input preprocessor sits before it");
                return;
            }
            int at = ref.index() - 1;
            Node node = mlnNode(mln, at);
            Object map = mapFeed(ref, node, at == 0 ? null : mlnNode(mln, at - 1));
            if (map instanceof String why) {
                fallback(ref, null, why);
                return;
            }
            projectOne(ref, node, (Feed) map);
            return;
        }
        ComputationGraph g = (ComputationGraph) model();
        List<String> inputs = g.getConfiguration().getVertexInputs().get(ref.name());
        if (inputs == null || inputs.size() != 1) {
            fallback(ref, null, "it has " + (inputs == null ? 0 : inputs.size()) + " inputs");
            return;
        }
        if (((LayerVertex) g.getVertex(ref.name())).getLayerPreProcessor() != null) {
            fallback(ref, null, "an input preprocessor sits before it");
            return;
        }
        String feeding = inputs.get(0);
        org.deeplearning4j.nn.conf.graph.GraphVertex vertex = g.getConfiguration().getVertices().get(feeding);
        if (vertex instanceof MergeVertex merge) {
            routeConcatenation(ref, g, feeding, merge);
        } else if (vertex instanceof ElementWiseVertex sum) {
            routeSum(ref, g, feeding, sum.getOp());
        } else {
            GraphVertex v = g.getVertex(feeding);
            if (v == null || !v.hasLayer()) {
                fallback(ref, null, "it is fed by vertex '" + feeding + "', not a layer");
                return;
            }
            Object map = graphMap(ref, g, feeding);
            if (map instanceof String why) {
                fallback(ref, null, why);
                return;
            }
            projectOne(ref, graphNode(g, feeding), (Feed) map);
        }
    }

    /**
     * A BN layer fed by a concatenation along its channel axis of linear maps: each map's channels are projected
     * from its own input's moments, in the order of the concatenation.
     */
    private void routeConcatenation(BnLayerRef ref, ComputationGraph g, String merge, MergeVertex conf) {
        List<String> parts = new java.util.ArrayList<>();
        concatenated(g, merge, conf.getMergeAxis(), parts);
        List<Feed> groups = new java.util.ArrayList<>();
        List<String> mapped = new java.util.ArrayList<>();
        List<String> kept = new java.util.ArrayList<>();
        Feed first = null;
        for (String part : parts) {
            Object map = graphMap(ref, g, part);
            if (map instanceof String why) {
                groups.add(Feed.kept(part));
                kept.add(why.startsWith("its feeding layer '") ? "'" + part + "' " + why.substring(why.indexOf("' ") + 2)
                        : why);
            } else {
                Feed f = (Feed) map;
                f.channels()[0] = (int) ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) f.maps().get(0).conf())
                        .getNOut();
                groups.add(f);
                mapped.add(part);
                first = first == null ? f : first;
            }
        }
        if (first == null) {
            fallback(ref, null, "it is fed by the concatenation '" + merge + "', and " + String.join("; ", kept));
            return;
        }
        int axis = channelAxis(ref, first.maps().get(0).conf());
        if (conf.getMergeAxis() != axis) {
            fallback(ref, null, "it is fed by the concatenation '" + merge + "' along axis " + conf.getMergeAxis()
                    + ", not the channel axis " + axis);
            return;
        }
        if (kept.isEmpty()) {
            project(ref, String.join(", ", parts), "fed by the concatenation '" + merge + "' of the linear maps "
                    + quoted(parts) + ", each projected for its own channels", groups);
            return;
        }
        routes.put(ref.name(), new Route(Path.PARTLY_PROJECTED, String.join(", ", mapped), "fed by the concatenation '"
                + merge + "': the channels of the linear maps " + quoted(mapped) + " projected, the others keep the"
                + " moving average (" + String.join("; ", kept) + ")"));
        feeds.put(ref.name(), groups);
    }

    /**
     * The parts of a concatenation in channel order, a concatenation among them (along the same axis) replaced by
     * its own parts, as a DenseNet block's growing concatenations are.
     */
    private static void concatenated(ComputationGraph g, String merge, int axis, List<String> parts) {
        for (String part : g.getConfiguration().getVertexInputs().get(merge)) {
            if (g.getConfiguration().getVertices().get(part) instanceof MergeVertex inner && inner.getMergeAxis() == axis) {
                concatenated(g, part, axis, parts);
            } else {
                parts.add(part);
            }
        }
    }

    /**
     * A BN layer fed by an element-wise sum, difference or average of linear maps that read the same input with
     * the same geometry: {@code sum_i c_i (W_i p + b_i) = (sum_i c_i W_i) p + sum_i c_i b_i}, projected through the
     * combined weights. Maps reading different inputs or patches would need the moments across them.
     */
    private void routeSum(BnLayerRef ref, ComputationGraph g, String vertex, ElementWiseVertex.Op op) {
        List<String> parts = g.getConfiguration().getVertexInputs().get(vertex);
        double[] c = new double[parts.size()];
        switch (op) {
            case Add -> java.util.Arrays.fill(c, 1);
            case Average -> java.util.Arrays.fill(c, 1.0 / parts.size());
            case Subtract -> {
                c[0] = 1;
                c[1] = -1;
            }
            default -> {
                fallback(ref, null, "it is fed by the element-wise " + op + " '" + vertex + "', not a linear combination");
                return;
            }
        }
        Feed first = null;
        List<Linear> maps = new java.util.ArrayList<>();
        for (String part : parts) {
            Object map = graphMap(ref, g, part);
            if (map instanceof String why) {
                fallback(ref, null, "it is fed by the element-wise " + op + " '" + vertex + "', and " + why);
                return;
            }
            Feed f = (Feed) map;
            if (first == null) {
                first = f;
            } else if (!f.input().equals(first.input()) || !java.util.Objects.equals(f.pre(), first.pre())
                    || !sameGeometry(first.maps().get(0).conf(), f.maps().get(0).conf())) {
                fallback(ref, null, "it is fed by the element-wise " + op + " '" + vertex + "' of maps that do not read"
                        + " the same input with the same geometry ('" + parts.get(0) + "', '" + part + "')");
                return;
            }
            maps.add(f.maps().get(0));
        }
        project(ref, String.join(", ", parts), "fed by the element-wise " + op + " '" + vertex + "' of the linear maps "
                + quoted(parts) + " on one input, projected through their combined weights",
                List.of(new Feed(first.moments(), first.input(), first.pre(), maps, c, first.channels())));
    }

    /** The feed of a graph layer vertex that is a supported linear map with one input, or why it is not. */
    private Object graphMap(BnLayerRef ref, ComputationGraph g, String name) {
        GraphVertex v = g.getVertex(name);
        if (!v.hasLayer()) {
            return "'" + name + "' is not a layer";
        }
        Node node = graphNode(g, name);
        if (node == null) {
            return "its feeding layer '" + name + "' has several inputs";
        }
        return mapFeed(ref, node, graphNode(g, (String) node.input()));
    }

    /** The layer vertex {@code name} with its one input, or {@code null} if it is not a layer or has several. */
    private static Node graphNode(ComputationGraph g, String name) {
        GraphVertex v = g.getVertex(name);
        List<String> inputs = g.getConfiguration().getVertexInputs().get(name);
        if (v == null || !v.hasLayer() || inputs == null || inputs.size() != 1) {
            return null;
        }
        return new Node(name, v.getLayer(), inputs.get(0), ((LayerVertex) v).getLayerPreProcessor());
    }

    private static Node mlnNode(MultiLayerNetwork mln, int index) {
        return new Node(String.valueOf(index), mln.getLayer(index), index,
                mln.getLayerWiseConfigurations().getInputPreProcess(index));
    }

    /**
     * The feed of {@code node}: a supported linear map, or unpadded average pooling of one ({@code upstream}, the
     * layer the pooling reads, or {@code null}); else why not.
     */
    private Object mapFeed(BnLayerRef ref, Node node, Node upstream) {
        org.deeplearning4j.nn.conf.layers.Layer conf = node.layer().conf().getLayer();
        if (conf.getClass() == SubsamplingLayer.class) {
            SubsamplingLayer pool = (SubsamplingLayer) conf;
            String why = averagePooling(ref, pool, node, upstream);
            if (why != null) {
                return "its feeding layer '" + node.name() + "' " + why;
            }
            ConvolutionLayer conv = (ConvolutionLayer) upstream.layer().conf().getLayer();
            org.deeplearning4j.nn.conf.layers.Layer composed = PatchMoments.averagePooledConf(conv, pool);
            long entries = PatchMoments.entries(composed);
            if (entries > maxEntries) {
                return "its feeding layer '" + node.name() + "' averages '" + upstream.name() + "', which with it would"
                        + " need " + entries + " second-moment entries, above the limit of " + maxEntries;
            }
            return feed(new Linear(upstream.name(), upstream.layer(), pool, composed), upstream.input(), upstream.pre());
        }
        String why = unsupported(ref, conf);
        if (why != null) {
            return "its feeding layer '" + node.name() + "' " + why;
        }
        return feed(Linear.of(node), node.input(), node.pre());
    }

    /** Why {@code pool} after {@code upstream} is not one convolution of the upstream input, or {@code null}. */
    private String averagePooling(BnLayerRef ref, SubsamplingLayer pool, Node node, Node upstream) {
        if (pool.getPoolingType() != PoolingType.AVG) {
            return "is " + pool.getPoolingType() + " pooling, not average pooling";
        }
        boolean padded = pool.getConvolutionMode() != ConvolutionMode.Same
                && (pool.getPadding()[0] != 0 || pool.getPadding()[1] != 0);
        if (padded || pool.getDilation()[0] != 1 || pool.getDilation()[1] != 1) {
            return "pads or dilates its average pooling (only unpadded average pooling is one linear map with its input)";
        }
        if (node.pre() != null) {
            return "averages through an input preprocessor";
        }
        if (upstream == null) {
            return "averages the network's input, not a linear map";
        }
        org.deeplearning4j.nn.conf.layers.Layer up = upstream.layer().conf().getLayer();
        String why = unsupported(ref, up);
        if (why != null) {
            return "averages '" + upstream.name() + "', which " + why;
        }
        if (!(up instanceof ConvolutionLayer conv)) {
            return "averages '" + upstream.name() + "', a " + up.getClass().getSimpleName() + ", not a convolution";
        }
        if (conv.getConvolutionMode() == ConvolutionMode.Same && (conv.getStride()[0] != 1 || conv.getStride()[1] != 1
                || conv.getKernelSize()[0] % 2 == 0 || conv.getKernelSize()[1] % 2 == 0)) {
            return "averages '" + upstream.name() + "', which pads in mode Same at a stride or an even kernel (its padding"
                    + " depends on the input size)";
        }
        if (pool.getCnn2dDataFormat() != conv.getCnn2dDataFormat()) {
            return "has format " + pool.getCnn2dDataFormat() + ", the convolution '" + upstream.name() + "' "
                    + conv.getCnn2dDataFormat();
        }
        return null;
    }

    private Feed feed(Linear map, Object input, InputPreProcessor pre) {
        return new Feed(PatchMoments.of(map.conf(), Math.pow(inputDecay, accumulateEvery), minSamples,
                maxPositions, covarianceEvery, Math.pow(covarianceDecay, (double) accumulateEvery * covarianceEvery)),
                input, pre, List.of(map), new double[] {1}, new int[] {-1});
    }

    /** A BN layer fed by one linear map, or by the average pooling of one. */
    private void projectOne(BnLayerRef ref, Node node, Feed f) {
        Linear map = f.maps().get(0);
        if (map.pool() == null) {
            project(ref, node.name(), "fed directly by the linear map '" + node.name() + "' ("
                    + map.conf().getClass().getSimpleName() + ")", List.of(f));
            return;
        }
        String conv = map.name();
        int[] k = ((ConvolutionLayer) map.conf()).getKernelSize();
        project(ref, conv, "fed by the average pooling '" + node.name() + "' of the linear map '" + conv + "' ("
                + map.layer().conf().getLayer().getClass().getSimpleName() + "), one convolution of " + k[0] + "x" + k[1]
                + " patches", List.of(f));
    }

    private void project(BnLayerRef ref, String feedingLayer, String reason, List<Feed> groups) {
        routes.put(ref.name(), new Route(Path.PROJECTED, feedingLayer, reason));
        feeds.put(ref.name(), groups);
    }

    /** The axis of the BN layer's channels in its input: 3 for a channels-last convolution's output, else 1. */
    private static int channelAxis(BnLayerRef ref, org.deeplearning4j.nn.conf.layers.Layer map) {
        return map instanceof ConvolutionLayer && ref.format() == CNN2DFormat.NHWC ? 3 : 1;
    }

    /**
     * Same class and patch geometry (kernel, stride, padding, mode): on one input, the same patches at every output
     * position. Sizes and layout need no check: maps on one input share {@code n_in}, the element-wise vertex needs
     * one output shape, and each map's layout is the BN layer's ({@link #unsupported}).
     */
    private static boolean sameGeometry(org.deeplearning4j.nn.conf.layers.Layer a,
                                        org.deeplearning4j.nn.conf.layers.Layer b) {
        if (a.getClass() != b.getClass()) {
            return false;
        }
        if (!(a instanceof ConvolutionLayer ca)) {
            return true;
        }
        ConvolutionLayer cb = (ConvolutionLayer) b;
        return java.util.Arrays.equals(ca.getKernelSize(), cb.getKernelSize())
                && java.util.Arrays.equals(ca.getStride(), cb.getStride())
                && java.util.Arrays.equals(ca.getPadding(), cb.getPadding())
                && ca.getConvolutionMode() == cb.getConvolutionMode();
    }

    private static String quoted(List<String> names) {
        return "'" + String.join("', '", names) + "'";
    }

    private String unsupported(BnLayerRef ref, org.deeplearning4j.nn.conf.layers.Layer conf) {
        Class<?> type = conf.getClass();
        if (type != DenseLayer.class && type != ConvolutionLayer.class && type != DepthwiseConvolution2D.class
                && type != SeparableConvolution2D.class) {
            return "is a " + type.getSimpleName() + ", not a dense, convolution, depthwise or separable convolution layer";
        }
        BaseLayer base = (BaseLayer) conf;
        if (!(base.getActivationFn() instanceof ActivationIdentity)) {
            return "has activation " + base.getActivationFn() + ", not identity";
        }
        if (base.getIDropout() != null) {
            return "applies dropout to its input";
        }
        if (base.getWeightNoise() != null) {
            return "applies weight noise";
        }
        if (conf instanceof ConvolutionLayer c) {
            if (c.getDilation()[0] != 1 || c.getDilation()[1] != 1) {
                return "is dilated";
            }
            if (c.getConvolutionMode() == ConvolutionMode.Causal) {
                return "is causal";
            }
            CNN2DFormat bnFormat = ref.format() == null ? CNN2DFormat.NCHW : ref.format();
            if (c.getCnn2dDataFormat() != bnFormat) {
                return "has format " + c.getCnn2dDataFormat() + ", the BN layer " + bnFormat;
            }
        }
        long entries = PatchMoments.entries(conf);
        if (entries > maxEntries) {
            return "would need " + entries + " second-moment entries, above the limit of " + maxEntries;
        }
        return null;
    }

    private void fallback(BnLayerRef ref, String feeding, String why) {
        routes.put(ref.name(), new Route(Path.MOVING_AVERAGE, feeding, why));
    }

    private Model model() {
        return net.model();
    }

    /** Builder of {@link ProjectedStatistics}. */
    public static final class Builder {
        private int every = DEFAULT_EVERY;
        private double inputDecay = DEFAULT_INPUT_DECAY;
        private long maxEntries = DEFAULT_MAX_ENTRIES;
        private int accumulateEvery = DEFAULT_ACCUMULATE_EVERY;
        private int covarianceEvery = DEFAULT_COVARIANCE_EVERY;
        /** NaN: the input decay */
        private double covarianceDecay = Double.NaN;
        private int maxPositions = DEFAULT_MAX_POSITIONS;
        private int minSamples = DEFAULT_MIN_SAMPLES;

        private Builder() {
        }

        /**
         * @param s the sample floor, at least 0: when a batch brings {@code m} patches to a layer, the decay per
         *     accumulated batch is {@code max(inputDecay^accumulateEvery, (s - m) / (s + m))}, which keeps the
         *     window's effective sample size at least {@code s}; 0 keeps {@code inputDecay} for every layer
         *     (default {@value ProjectedStatistics#DEFAULT_MIN_SAMPLES})
         * @return this
         */
        public Builder minSamples(int s) {
            if (s < 0) {
                throw new IllegalArgumentException("sample floor must be >= 0, got " + s);
            }
            this.minSamples = s;
            return this;
        }

        /**
         * @param k iterations between writes, at least 1 (default {@value ProjectedStatistics#DEFAULT_EVERY})
         * @return this
         */
        public Builder every(int k) {
            this.every = atLeastOne(k, "write interval");
            return this;
        }

        /**
         * @param d weight of the old input moments per batch, in (0, 1]; 1 weighs every batch seen equally
         *     (default {@value ProjectedStatistics#DEFAULT_INPUT_DECAY})
         * @return this
         */
        public Builder inputDecay(double d) {
            this.inputDecay = decay(d, "input decay");
            return this;
        }

        /**
         * @param entries the largest number of second-moment entries one layer may keep, at least 1; a layer
         *     needing more keeps its moving average (default {@value ProjectedStatistics#DEFAULT_MAX_ENTRIES})
         * @return this
         */
        public Builder maxEntries(long entries) {
            if (entries < 1) {
                throw new IllegalArgumentException("entry limit must be >= 1, got " + entries);
            }
            this.maxEntries = entries;
            return this;
        }

        /**
         * @param s training iterations per accumulated batch, at least 1: the {@code s}-th, {@code 2s}-th, ...
         *     training forward pass after binding is accumulated, with decay {@code inputDecay^s} per
         *     accumulation (default {@value ProjectedStatistics#DEFAULT_ACCUMULATE_EVERY})
         * @return this
         */
        public Builder accumulateEvery(int s) {
            this.accumulateEvery = atLeastOne(s, "accumulation interval");
            return this;
        }

        /**
         * @param r accumulated batches per covariance batch, at least 1: the first accumulated batch and every
         *     {@code r}-th after it add their within-batch covariance (the patches' outer products about the batch's
         *     own mean), with decay {@code covarianceDecay^(accumulateEvery r)} per covariance batch (or the sample
         *     floor's, if larger), while every accumulated batch adds its mean; 1 gives the pooled moments of every
         *     accumulated batch (default {@value ProjectedStatistics#DEFAULT_COVARIANCE_EVERY})
         * @return this
         */
        public Builder covarianceEvery(int r) {
            this.covarianceEvery = atLeastOne(r, "covariance interval");
            return this;
        }

        /**
         * @param d weight of the old within-batch covariance per training iteration, in (0, 1] (default: the input
         *     decay, so the covariance's window in iterations is the means')
         * @return this
         */
        public Builder covarianceDecay(double d) {
            this.covarianceDecay = decay(d, "covariance decay");
            return this;
        }

        /**
         * @param p the most output positions (patches) one batch contributes per layer, at least 1; a batch
         *     with more contributes {@code p} of them spread over the batch, each weighing their share
         *     (unbiased; the rule is in {@code PatchMoments#add}), a batch with at most {@code p} all of them
         *     (default: no limit)
         * @return this
         */
        public Builder maxPositions(int p) {
            if (p < 1) {
                throw new IllegalArgumentException("position limit must be >= 1, got " + p);
            }
            this.maxPositions = p;
            return this;
        }

        private static double decay(double d, String what) {
            if (!(d > 0 && d <= 1)) {
                throw new IllegalArgumentException(what + " must be in (0, 1], got " + d);
            }
            return d;
        }

        private static int atLeastOne(int k, String what) {
            if (k < 1) {
                throw new IllegalArgumentException(what + " must be >= 1, got " + k);
            }
            return k;
        }

        /** @return the listener */
        public ProjectedStatistics build() {
            return new ProjectedStatistics(this);
        }
    }
}
