package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BatchStatisticsFromUpdate;
import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.stats.Ema;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.MomentWindow;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A DL4J {@code TrainingListener} that measures every BN layer's EMA error at every training
 * iteration for the price of reading a few small vectors: no forward pass, no copy, no data of
 * its own.
 *
 * <p>Each iteration, in {@code onGradientCalculation} (parameters not yet updated), it recovers the
 * batch mean and biased batch variance every BN layer normalised with from the moving-statistics
 * pseudo-gradient ({@link BatchStatisticsFromUpdate}), and the samples per channel from the shapes
 * {@code onForwardPass} shows. A window of the last {@code window} batches is pooled into a running
 * population estimate ({@link MomentWindow}: all samples together, like the pooled precise
 * statistics of a checkpoint). In {@code iterationDone} (parameters updated) the moving statistics
 * are read and compared with that estimate: {@link LayerDecomposition} with the window as the
 * precise reference, the EMA's prior weighted by the product of the decays in force at each of the
 * {@code n} updates ({@code d^n} at a fixed decay) as warm-up, and this iteration's batch
 * as batch noise. The window trails the weights by about {@code window/2} iterations, the EMA by
 * {@code d/(1-d)}; the difference is the lag.
 *
 * <p>Precision: exact up to float error ({@link BatchStatisticsFromUpdate}). With {@code log10stdev}
 * the recovered variance carries an absolute error of up to {@code 16 * 2^-24 v/(1-d)} for a moving
 * variance {@code v}: negligible once the moving statistics are near the batch statistics, but
 * while DL4J's prior variance 1 sits far above tiny activations (decay near 1, no warm start) it can
 * exceed the batch variance itself; warm-start the statistics ({@link io.github.bndoctor.remedy.WarmStart})
 * or read the first {@code 1/(1-d)} iterations as warm-up.
 *
 * <p>The decay is read live, each iteration, in {@code onGradientCalculation}: the value in the
 * layer's configuration then is the one that iteration's update used, also when a listener such as
 * {@link io.github.bndoctor.remedy.AdaptiveDecay} changes it in {@code iterationDone}
 * ({@link BatchStatisticsFromUpdate}).
 *
 * <p>The prior: a layer whose moving statistics, when the listener first sees the network (before
 * that iteration's update), are not DL4J's initial mean 0 and variance 1 was warm-started or has
 * trained before, and its EMA carries no prior; otherwise the prior's weight is tracked as above,
 * unless the constructor says the statistics are prior-free.
 *
 * <p>The listener changes nothing: parameters, updater state and random stream are untouched. Layers
 * configured with decay 1 (frozen statistics, nothing to invert) are left out of the readings.
 */
public final class BatchStatisticsFromUpdates extends BaseTrainingListener {
    /** Default window: 32 iterations (256 examples at batch 8, as many as a checkpoint's precise statistics). */
    public static final int DEFAULT_WINDOW = 32;
    /**
     * Default reading interval: a reading every 4 iterations, so that the window (32 iterations)
     * moves by less than a sixth between readings while decomposing every layer's EMA error stays a
     * small share of a step (the costs measured on the seed scenario are in {@code docs/record.md}).
     */
    public static final int DEFAULT_READ_EVERY = 4;

    private final int window;
    private final int readEvery;
    private final boolean priorFree;
    private final Consumer<LagReading> onReading;
    private final Map<String, MomentWindow> windows = new LinkedHashMap<>();
    private final Map<String, MeanVariance> latestBatch = new LinkedHashMap<>();
    private final Map<String, Long> counts = new LinkedHashMap<>();
    private final Map<String, Double> liveDecay = new LinkedHashMap<>();
    private final Map<String, Double> priorWeight = new LinkedHashMap<>();
    private BnNetwork net;
    private List<BnLayerRef> layers;
    private boolean pending;
    private LagReading latest;
    private long readyIteration;
    private long nanos;

    /**
     * @param window batches pooled into the running estimate, at least 2
     * @param priorFree whether the moving statistics were warm-started (no mean-0/variance-1 prior left)
     * @param onReading called with each iteration's reading once the window is full, or {@code null}:
     *     readings are then computed only when {@link #latest()} asks
     */
    public BatchStatisticsFromUpdates(int window, boolean priorFree, Consumer<LagReading> onReading) {
        this(window, 1, priorFree, onReading);
    }

    /**
     * @param window batches pooled into the running estimate, at least 2
     * @param readEvery a reading is made at every iteration count divisible by this, at least 1 (the
     *     batch statistics are still recovered and pooled at every iteration)
     * @param priorFree whether the moving statistics were warm-started (no mean-0/variance-1 prior left)
     * @param onReading called with each reading once the window is full, or {@code null}: readings
     *     are then computed only when {@link #latest()} asks
     */
    public BatchStatisticsFromUpdates(int window, int readEvery, boolean priorFree, Consumer<LagReading> onReading) {
        if (window < 2) {
            throw new IllegalArgumentException("window must be >= 2 iterations, got " + window);
        }
        if (readEvery < 1) {
            throw new IllegalArgumentException("readEvery must be >= 1 iteration, got " + readEvery);
        }
        this.readEvery = readEvery;
        this.window = window;
        this.priorFree = priorFree;
        this.onReading = onReading;
    }

    /** @return a listener with the default window, prior assumed, readings on request */
    public static BatchStatisticsFromUpdates defaults() {
        return new BatchStatisticsFromUpdates(DEFAULT_WINDOW, false, null);
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        long t0 = System.nanoTime();
        init(model);
        for (BnLayerRef ref : layers) {
            // activations.get(i) is the input of layer i (before any preprocessor, which keeps the element count)
            if (activations.size() > ref.index()) {
                counts.put(ref.name(), perChannel(activations.get(ref.index()), ref));
            }
        }
        nanos += System.nanoTime() - t0;
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        long t0 = System.nanoTime();
        init(model);
        ComputationGraph graph = (ComputationGraph) model;
        for (BnLayerRef ref : layers) {
            List<String> inputs = graph.getConfiguration().getVertexInputs().get(ref.name());
            INDArray input = activations.get(inputs.get(0));
            if (input != null) {
                counts.put(ref.name(), perChannel(input, ref));
            }
        }
        nanos += System.nanoTime() - t0;
    }

    @Override
    public void onGradientCalculation(Model model) {
        long t0 = System.nanoTime();
        init(model);
        Gradient g = model.gradient();
        for (BnLayerRef ref : layers) {
            // the decay this backprop used: a listener changing it does so in iterationDone
            liveDecay.put(ref.name(), net.decay(ref));
            latestBatch.put(ref.name(), BatchStatisticsFromUpdate.read(net, g, ref));
        }
        pending = true;
        nanos += System.nanoTime() - t0;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!pending) {
            return;
        }
        long t0 = System.nanoTime();
        pending = false;
        long done = iteration + 1L;
        boolean full = true;
        for (BnLayerRef ref : layers) {
            MeanVariance b = latestBatch.get(ref.name());
            // without a forward-pass shape, the batch size: counts only weight batches against each other
            long m = counts.getOrDefault(ref.name(), (long) Math.max(1, model.batchSize()));
            MomentWindow w = windows.computeIfAbsent(ref.name(), k -> new MomentWindow(window, ref.channels()));
            w.add(m, b.mean(), b.variance());
            full &= w.isFull();
            double d = liveDecay.get(ref.name());
            // the prior's weight after this update: the product of the decays in force, iteration by
            // iteration; before this listener saw the model, the first decay it read is assumed
            priorWeight.merge(ref.name(), Ema.priorWeight(d, iteration), (a, ignored) -> a);
            priorWeight.computeIfPresent(ref.name(), (k, a) -> a * d);
        }
        if (full && !layers.isEmpty() && done % readEvery == 0) {
            readyIteration = done;
            if (onReading != null) {
                LagReading r = latest();
                nanos += System.nanoTime() - t0;
                onReading.accept(r);
                return;
            }
        }
        nanos += System.nanoTime() - t0;
    }

    private LagReading read(long done) {
        List<LayerDecomposition> out = new ArrayList<>(layers.size());
        for (BnLayerRef ref : layers) {
            double w = priorWeight.get(ref.name());
            out.add(LayerDecomposition.of(ref, w == 0 ? Long.MAX_VALUE : done, w, MovingStatistics.read(net, ref),
                    windows.get(ref.name()).pooled(), latestBatch.get(ref.name())));
        }
        return new LagReading(done, out);
    }

    /**
     * The reading of the latest iteration, computed on first request (without a callback, an
     * iteration nobody reads costs only the recovery of its batch statistics). The moving
     * statistics are those of the network when read.
     *
     * @return the latest reading, or {@code null} until the window has filled
     */
    public LagReading latest() {
        if (readyIteration > 0 && (latest == null || latest.iteration() != readyIteration)) {
            long t0 = System.nanoTime();
            latest = read(readyIteration);
            nanos += System.nanoTime() - t0;
        }
        return latest;
    }

    /**
     * @param layer a BN layer name
     * @return the batch statistics of the latest iteration at its input, or {@code null}
     */
    public MeanVariance latestBatch(String layer) {
        return latestBatch.get(layer);
    }

    /**
     * @param layer a BN layer name
     * @return samples per channel in the latest batch, or {@code null}
     */
    public Long samplesPerChannel(String layer) {
        return counts.get(layer);
    }

    /** @return time spent in this listener, nanoseconds */
    public long nanos() {
        return nanos;
    }

    /** @return the window, in iterations */
    public int window() {
        return window;
    }

    /** @return the reading interval, in iterations */
    public int readEvery() {
        return readEvery;
    }

    private void init(Model model) {
        if (net == null || net.model() != model) {
            net = BnNetwork.requireBatchNorm(model);
            layers = net.bnLayers().stream().filter(r -> r.decay() < 1).toList();
            windows.clear();
            latest = null;
            readyIteration = 0;
            latestBatch.clear();
            counts.clear();
            liveDecay.clear();
            priorWeight.clear();
            for (BnLayerRef ref : layers) {
                // seen before its first update (a forward pass or a gradient comes first): statistics
                // other than DL4J's initial ones were warm-started or trained, and carry no prior
                if (priorFree || !MovingStatistics.holdsInitialValues(net, ref)) {
                    priorWeight.put(ref.name(), 0.0);
                }
            }
        }
    }

    private static long perChannel(INDArray input, BnLayerRef ref) {
        return input.length() / ref.channels();
    }
}
