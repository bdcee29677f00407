package io.github.bndoctor.scenario;

import io.github.bndoctor.monitor.Alarm;
import io.github.bndoctor.monitor.AlarmLevel;
import io.github.bndoctor.monitor.AlarmPolicy;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.monitor.LagAlarm;
import io.github.bndoctor.monitor.LagReading;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.Diagnoser;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Trains one {@link FamilyConfig} with the monitor a user attaches from the README: the gate
 * ({@code BnMonitor.builder(probe).preciseData(...).every(N)}, {@link AlarmPolicy#DEFAULT}, the
 * default {@link Diagnoser}) with {@link LagAlarm#CALIBRATED}, nothing declared about warm starts.
 * The one difference: fail-fast is off, so the whole run is recorded; the gate fails where a
 * {@link AlarmLevel#FAIL} alarm was raised ({@link Result#gateFails()}), which is where fail-fast
 * would have thrown.
 */
public final class MonitoredFamily {
    /** Probe examples at least: held out, a multiple of every recipe's batch size. */
    public static final int PROBE_SIZE = 64;
    /**
     * Training batches the probe holds at least: the noise cost's cross-fitting needs
     * {@link io.github.bndoctor.probe.NoiseCost#MIN_CHUNKS_PER_HALF} in each of its two halves, as a
     * user monitoring at that batch size would give it.
     */
    public static final int PROBE_TRAINING_BATCHES = 2 * io.github.bndoctor.probe.NoiseCost.MIN_CHUNKS_PER_HALF;
    /** Training examples offered for precise statistics: the default diagnoser's 256. */
    public static final int PRECISE_SAMPLES = 256;
    private static final long PRECISE_STREAM = 0x9E3779B97F4A7C15L;

    private MonitoredFamily() {
    }

    /**
     * A finished monitored run.
     *
     * @param config the configuration
     * @param checkpoints the monitor's checkpoints, scheduled and confirming
     * @param alarms the monitor's alarms
     * @param run the finished run
     * @param freeReadings the free signal's latest reading at each checkpoint's iteration (absent
     *     while its window was filling)
     * @param probePerTrainingBatch the monitor's {@link BnMonitor#probePerTrainingBatch()}
     */
    public record Result(FamilyConfig config, List<Checkpoint> checkpoints, List<Alarm> alarms, FamilyRun run,
                         java.util.Map<Long, LagReading> freeReadings, double probePerTrainingBatch) {
        /** @return whether the README's gate fails the run: a {@link AlarmLevel#FAIL} alarm was raised */
        public boolean gateFails() {
            return alarms.stream().anyMatch(a -> a.level() == AlarmLevel.FAIL);
        }

        /**
         * @param iteration a checkpoint's iteration
         * @param metricPrefix an alarm metric or its prefix ({@link BnMonitor#LAG_WARNING}, {@link BnMonitor#LAG_ALARM})
         * @return whether such an alarm was raised at that iteration
         */
        public boolean raised(long iteration, String metricPrefix) {
            return alarms.stream().anyMatch(a -> a.iteration() == iteration && a.metric().startsWith(metricPrefix));
        }
    }

    /**
     * @param config the configuration
     * @param listeners further training listeners (e.g. {@code AdaptiveDecay}), called after the monitor
     * @return the result
     */
    public static Result run(FamilyConfig config, List<TrainingListener> listeners) {
        return run(config, List.of(), listeners);
    }

    /**
     * @param config the configuration
     * @param before training listeners called before the monitor (e.g. {@code ProjectedStatistics}, whose
     *     write at an iteration the monitor's checkpoint at that iteration then sees)
     * @param listeners further training listeners (e.g. {@code AdaptiveDecay}), called after the monitor
     * @return the result
     */
    public static Result run(FamilyConfig config, List<TrainingListener> before, List<TrainingListener> listeners) {
        return run(config, probeSize(config), before, listeners);
    }

    /**
     * @param config the configuration
     * @param probeExamples the monitor's probe examples, at least 1 (the leg's is {@link #probeSize})
     * @param before training listeners called before the monitor
     * @param listeners further training listeners, called after the monitor
     * @return the result
     */
    public static Result run(FamilyConfig config, int probeExamples, List<TrainingListener> before,
                             List<TrainingListener> listeners) {
        FamilyRun run = FamilyRun.start(config);
        DataSet probe = run.samples().probe(probeExamples);
        List<INDArray[]> precise = preciseBatches(config);
        java.util.Map<Long, LagReading> readings = new java.util.LinkedHashMap<>();
        BnMonitor[] self = new BnMonitor[1];
        BnMonitor monitor = BnMonitor.builder(probe.getFeatures(), probe.getLabels()).preciseData(precise::iterator)
                .every(config.checkpointEvery()).policy(AlarmPolicy.DEFAULT).lagAlarm(LagAlarm.CALIBRATED)
                .onCheckpoint(c -> {
                    LagReading r = self[0].freeSignal() == null ? null : self[0].freeSignal().latest();
                    if (r != null) {
                        readings.put(c.iteration(), r);
                    }
                })
                .failFast(false).build();
        self[0] = monitor;
        before.forEach(l -> run.model().addListeners(l));
        run.model().addListeners(monitor);
        listeners.forEach(l -> run.model().addListeners(l));
        run.train(config.iterations());
        run.model().setListeners();
        return new Result(config, monitor.checkpoints(), monitor.alarms(), run, readings,
                monitor.probePerTrainingBatch());
    }

    /**
     * @param config a configuration
     * @return the probe's examples for its runs: {@link #PROBE_SIZE}, or {@link #PROBE_TRAINING_BATCHES}
     *     training batches where that is more (the probe's first {@link #PROBE_SIZE} examples are the
     *     same either way: one stream)
     */
    public static int probeSize(FamilyConfig config) {
        return Math.max(PROBE_SIZE, PROBE_TRAINING_BATCHES * config.batchSize());
    }

    /**
     * @param config a configuration
     * @return training-distribution batches of the run's batch size from a stream of their own,
     *     enough for the default diagnoser's precise samples
     */
    public static List<INDArray[]> preciseBatches(FamilyConfig config) {
        ScenarioData stream = config.family().data(config.seed() ^ PRECISE_STREAM);
        List<INDArray[]> out = new ArrayList<>();
        for (int i = 0; i < Math.max(1, PRECISE_SAMPLES / config.batchSize()); i++) {
            out.add(new INDArray[] {stream.trainingBatch(config.batchSize()).getFeatures()});
        }
        return out;
    }
}
