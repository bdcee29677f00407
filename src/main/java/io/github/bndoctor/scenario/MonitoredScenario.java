package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.monitor.Alarm;
import io.github.bndoctor.monitor.AlarmPolicy;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.DiagnosisThresholds;
import io.github.bndoctor.probe.Diagnoser;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.stats.PopulationEstimator;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Trains one scenario configuration with a {@link BnMonitor} attached (fail-fast off) and
 * returns the time series: the library's probes applied to the reproduction of the seed report (docs/background.md).
 *
 * <p>Works for every {@link ScenarioKind}. Probe: the held-out probe set of
 * {@link ScenarioData#probe(int)}; its training-mode
 * loss is computed in chunks of the training batch size, so batch noise matches training. Precise
 * statistics: a fixed set of training-distribution batches from a stream of their own (not the
 * training stream, not the probe set), pooled estimator.
 */
public final class MonitoredScenario {
    /** Probe examples: 64, a multiple of every batch size the presets use. */
    public static final int PROBE_SIZE = 64;
    /** Training examples for the precise statistics at each checkpoint. */
    public static final int PRECISE_SAMPLES = 128;
    private static final long PRECISE_STREAM = 0x9E3779B97F4A7C15L;

    private MonitoredScenario() {
    }

    /**
     * The outcome of a monitored run.
     *
     * @param config the configuration
     * @param checkpoints the monitor's checkpoints
     * @param alarms the monitor's alarms
     * @param trainNanos wall time of training including probes
     * @param probeNanos wall time spent in probes
     * @param run the finished run (its graph can be recalibrated or saved)
     * @param probePerTrainingBatch the monitor's {@link BnMonitor#probePerTrainingBatch()}
     */
    public record Result(ScenarioConfig config, List<Checkpoint> checkpoints, List<Alarm> alarms, long trainNanos,
                         long probeNanos, ScenarioRun run, double probePerTrainingBatch) {
        /**
         * @param warmup iterations to skip
         * @return the largest eval/train loss ratio at or after {@code warmup}
         */
        public double worstRatioAfter(long warmup) {
            return checkpoints.stream().filter(c -> c.iteration() >= warmup)
                    .mapToDouble(c -> c.gap().evalToTrainRatio()).max().orElse(Double.NaN);
        }
    }

    /**
     * @param config the configuration
     * @param probeEvery iterations between checkpoints
     * @param onCheckpoint progress callback
     * @return the result
     */
    public static Result run(ScenarioConfig config, int probeEvery, Consumer<Checkpoint> onCheckpoint) {
        return run(config, probeEvery, onCheckpoint, List.of());
    }

    /**
     * @param config the configuration
     * @param probeEvery iterations between checkpoints
     * @param onCheckpoint progress callback
     * @param listeners further training listeners (e.g. {@code AdaptiveDecay}), called after the monitor
     * @return the result
     */
    public static Result run(ScenarioConfig config, int probeEvery, Consumer<Checkpoint> onCheckpoint,
                             List<TrainingListener> listeners) {
        return run(config, probeEvery, onCheckpoint, List.of(), listeners);
    }

    /**
     * @param config the configuration
     * @param probeEvery iterations between checkpoints
     * @param onCheckpoint progress callback
     * @param before training listeners called before the monitor (e.g. {@code ProjectedStatistics}, whose
     *     write at an iteration the monitor's checkpoint at that iteration then sees)
     * @param listeners further training listeners, called after the monitor
     * @return the result
     */
    public static Result run(ScenarioConfig config, int probeEvery, Consumer<Checkpoint> onCheckpoint,
                             List<TrainingListener> before, List<TrainingListener> listeners) {
        ScenarioRun run = ScenarioRun.start(config);
        DataSet probe = run.samples().probe(PROBE_SIZE);
        List<INDArray[]> preciseBatches = preciseBatches(config);
        BnMonitor.Builder b = BnMonitor.builder(probe.getFeatures(), probe.getLabels()).every(probeEvery)
                .failFast(false).policy(AlarmPolicy.DEFAULT).diagnoser(diagnoser(config))
                .preciseData(preciseBatches::iterator).onCheckpoint(onCheckpoint);
        if (config.warmStartSamples() > 0) {
            b.warmStarted();
        }
        BnMonitor monitor = b.build();
        before.forEach(l -> run.graph().addListeners(l));
        run.graph().addListeners(monitor);
        listeners.forEach(l -> run.graph().addListeners(l));
        long t0 = System.nanoTime();
        run.train(config.iterations());
        long elapsed = System.nanoTime() - t0;
        run.graph().setListeners();
        return new Result(config, monitor.checkpoints(), monitor.alarms(), elapsed, monitor.probeNanos(), run,
                monitor.probePerTrainingBatch());
    }

    /**
     * @param config a configuration
     * @return the fixed training-distribution batches used for precise statistics
     */
    public static List<INDArray[]> preciseBatches(ScenarioConfig config) {
        ScenarioData stream = config.kind().data(config.seed() ^ PRECISE_STREAM, config);
        List<INDArray[]> out = new ArrayList<>();
        for (int i = 0; i < Math.max(1, PRECISE_SAMPLES / config.batchSize()); i++) {
            out.add(new INDArray[] {stream.trainingBatch(config.batchSize()).getFeatures()});
        }
        return out;
    }

    /**
     * @param config a configuration
     * @return the diagnoser the monitor uses: pooled precise statistics, MSE, training-mode probe
     *     passes of the training batch size
     */
    public static Diagnoser diagnoser(ScenarioConfig config) {
        return new Diagnoser(PopulationEstimator.POOLED, PRECISE_SAMPLES, LossMeasure.MSE, DiagnosisThresholds.DEFAULT,
                config.batchSize());
    }

    /**
     * @param result a finished run
     * @return its graph as a bn-doctor network view
     */
    public static BnNetwork network(Result result) {
        return BnNetwork.of(result.run().graph());
    }
}
