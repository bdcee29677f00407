package io.github.bndoctor.scenario;

import io.github.bndoctor.backend.NativeSpeedSettings;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * One training run of a {@link FamilyConfig}: the family's network and data stream, trained one
 * fresh minibatch per iteration. With {@link FamilyConfig#warmStart()} every BN layer's moving
 * statistics start from the training-mode statistics of the initial weights on
 * {@value #WARM_START_SAMPLES} samples of a stream of their own (not the training stream, not the
 * probe set), as {@link ScenarioRun} does. Not thread-safe.
 */
public final class FamilyRun {
    /** Samples of the warm start. */
    public static final int WARM_START_SAMPLES = 256;
    private static final long WARM_START_STREAM = 0x5DEECE66DL;

    private final FamilyConfig config;
    private final Model model;
    private final ScenarioData data;
    private int iteration;

    private FamilyRun(FamilyConfig config, Model model, ScenarioData data) {
        this.config = config;
        this.model = model;
        this.data = data;
    }

    /**
     * @param config the configuration
     * @return a run at iteration 0, warm-started if the configuration says so
     */
    public static FamilyRun start(FamilyConfig config) {
        NativeSpeedSettings.allowLayerHelpers();
        Model model = config.family().build(config);
        if (config.warmStart()) {
            ScenarioData warm = config.family().data(config.seed() ^ WARM_START_STREAM);
            BatchNormPopulationStatistics.recompute(model, warm.trainingBatch(WARM_START_SAMPLES).getFeatures(),
                    config.batchSize());
        }
        return new FamilyRun(config, model, config.family().data(config.seed()));
    }

    /** @return the configuration */
    public FamilyConfig config() {
        return config;
    }

    /** @return the live network ({@link MultiLayerNetwork} or {@link ComputationGraph}) */
    public Model model() {
        return model;
    }

    /** @return the training stream and probe set */
    public ScenarioData samples() {
        return data;
    }

    /** @return iterations trained so far */
    public int iteration() {
        return iteration;
    }

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
            fit(model, data.trainingBatch(config.batchSize()));
            iteration++;
        }
    }

    /**
     * @param model a {@link MultiLayerNetwork} or {@link ComputationGraph}
     * @param batch one minibatch
     */
    static void fit(Model model, DataSet batch) {
        if (model instanceof MultiLayerNetwork mln) {
            mln.fit(batch);
        } else {
            ((ComputationGraph) model).fit(batch);
        }
    }
}
