package io.github.bndoctor.scenario;

import java.util.OptionalDouble;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * One training run of a scenario: the network and data stream of the configuration's
 * {@link ScenarioKind} (the seed scenario's {@link MobileNetV2Like} on {@link PoseDataGenerator}
 * unless set), trained one minibatch per iteration.
 *
 * <p>{@link #start(ScenarioConfig)} builds everything and, if
 * {@link ScenarioConfig#warmStartSamples()} is positive, initialises every batch-norm layer's
 * moving statistics from training-mode statistics of the initial weights on that many samples
 * drawn from a dedicated stream (not the training stream, not the probe set). This is the warm
 * start that skips the warm-up trap: with DL4J's initial moving variance 1 and small initial
 * weights, inference-mode loss otherwise sits at the all-zeros level for ~2,000 iterations at
 * decay 0.997 whatever the optimizer (the seed report's PyTorch reproduction, docs/background.md).
 *
 * <p>Before fitting an iteration at which {@link ScenarioConfig#decaySwitches()} has a switch,
 * every batch-norm layer's decay is set to the new value ({@link #setDecay}).
 *
 * <p>{@link #run(Checkpoint)} trains to {@link ScenarioConfig#iterations()} and calls the
 * checkpoint at iteration 0 and every {@link ScenarioConfig#checkpointEvery()} iterations, between
 * {@code fit} calls (not from inside a DL4J listener's forward pass, where calling {@code output}
 * throws a workspace exception). Not thread-safe.
 */
public final class ScenarioRun {

    private static final long WARM_START_STREAM = 0x5DEECE66DL;

    private final ScenarioConfig config;
    private final ComputationGraph graph;
    private final ScenarioData data;
    private int iteration;

    private ScenarioRun(ScenarioConfig config, ComputationGraph graph, ScenarioData data) {
        this.config = config;
        this.graph = graph;
        this.data = data;
    }

    /**
     * Builds the network and data stream for {@code config} and applies the warm start. Sets no
     * system property: the scenario was calibrated with DL4J's oneDNN layer helpers on wherever the
     * natives have oneDNN, which is the caller's explicit opt-in
     * ({@link io.github.bndoctor.backend.NativeSpeedSettings#allowLayerHelpers()}, as the command
     * line and the build's test JVMs do) before this call.
     *
     * @param config the scenario configuration
     * @return a run at iteration 0
     */
    public static ScenarioRun start(ScenarioConfig config) {
        ComputationGraph graph = config.kind().build(config);
        if (config.warmStartSamples() > 0) {
            ScenarioData warm = config.kind().data(config.seed() ^ WARM_START_STREAM, config);
            BatchNormPopulationStatistics.recompute(graph,
                    warm.trainingBatch(config.warmStartSamples()).getFeatures(), config.batchSize());
        }
        return new ScenarioRun(config, graph, config.kind().data(config.seed(), config));
    }

    /** @return the configuration */
    public ScenarioConfig config() { return config; }

    /** @return the live graph being trained */
    public ComputationGraph graph() { return graph; }

    /**
     * @return the pose data generator (training stream and probe set) of a pose scenario
     * @throws IllegalStateException if this run's task is not the pose task
     */
    public PoseDataGenerator data() {
        if (data instanceof PoseDataGenerator pose) {
            return pose;
        }
        throw new IllegalStateException(config.kind() + " does not train on pose data; use samples()");
    }

    /** @return the data of any scenario kind (training stream and probe set) */
    public ScenarioData samples() { return data; }

    /** @return iterations trained so far */
    public int iteration() { return iteration; }

    /**
     * Trains {@code n} more iterations, one fresh minibatch each.
     *
     * @param n iterations, &gt;= 0
     */
    public void train(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("iterations must be >= 0, got " + n);
        }
        for (int i = 0; i < n; i++) {
            OptionalDouble decay = config.decaySwitchAt(iteration);
            if (decay.isPresent()) {
                setDecay(graph, decay.getAsDouble());
            }
            graph.fit(data.trainingBatch(config.batchSize()));
            iteration++;
        }
    }

    /**
     * Trains until {@link ScenarioConfig#iterations()} and calls {@code checkpoint} at the current
     * iteration (0 for a fresh run) and every {@link ScenarioConfig#checkpointEvery()} iterations,
     * including the last if it falls on the interval.
     *
     * @param checkpoint callback, may evaluate the graph
     */
    public void run(Checkpoint checkpoint) {
        checkpoint.at(iteration, graph);
        while (iteration < config.iterations()) {
            int next = Math.min(config.iterations(),
                    (iteration / config.checkpointEvery() + 1) * config.checkpointEvery());
            train(next - iteration);
            if (iteration % config.checkpointEvery() == 0) {
                checkpoint.at(iteration, graph);
            }
        }
    }

    /**
     * Sets every batch-norm layer's moving-average decay, in the live layers and in the graph's
     * configuration (so clones and saved models carry it). DL4J reads the decay at every backprop,
     * so the next {@code fit} already uses it.
     *
     * @param graph a graph
     * @param decay the new decay, in (0, 1)
     * @return the number of batch-norm layers changed
     */
    public static int setDecay(ComputationGraph graph, double decay) {
        if (!(decay > 0.0 && decay < 1.0)) {
            throw new IllegalArgumentException("decay must be in (0, 1), got " + decay);
        }
        int changed = 0;
        for (Layer layer : graph.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization bn) {
                bn.setDecay(decay);
                changed++;
            }
        }
        for (GraphVertex v : graph.getConfiguration().getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BatchNormalization bn) {
                bn.setDecay(decay);
            }
        }
        return changed;
    }

    /** Callback at a checkpoint of {@link #run(Checkpoint)}. */
    @FunctionalInterface
    public interface Checkpoint {
        /**
         * @param iteration iterations trained so far
         * @param graph the live graph; evaluate it, or clone it before modifying
         */
        void at(int iteration, ComputationGraph graph);
    }
}
