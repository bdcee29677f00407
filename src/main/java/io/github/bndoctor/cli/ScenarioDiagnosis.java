package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.lint.ConfigLints;
import io.github.bndoctor.lint.LagForecast;
import io.github.bndoctor.lint.Lint;
import io.github.bndoctor.monitor.AlarmPolicy;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.remedy.ProjectedStatistics;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.report.ReportAssembler;
import io.github.bndoctor.scenario.MobileNetV2Like;
import io.github.bndoctor.scenario.MonitoredScenario;
import io.github.bndoctor.scenario.PoseDataGenerator;
import io.github.bndoctor.scenario.ScenarioConfig;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One seed-scenario configuration trained under the monitor ({@link MonitoredScenario}), turned
 * into a report row; plus the "recalibrate at the end" fix applied to its trained network.
 */
final class ScenarioDiagnosis {
    /** Examples used by the end-of-training recalibration. */
    static final int RECALIBRATION_SAMPLES = 512;
    private static final long RECALIBRATION_STREAM = 0x7265636C6962L;
    private final ScenarioConfig config;
    private final String name;
    private final AdaptiveDecay adaptive;
    private final ProjectedStatistics projected;
    private MonitoredScenario.Result result;

    ScenarioDiagnosis(ScenarioConfig config, String name) {
        this(config, name, null);
    }

    /**
     * @param config the configuration
     * @param name the run's name
     * @param adaptive an adaptive-decay listener to train with, or {@code null}
     */
    ScenarioDiagnosis(ScenarioConfig config, String name, AdaptiveDecay adaptive) {
        this(config, name, adaptive, null);
    }

    /**
     * @param config the configuration
     * @param name the run's name
     * @param adaptive an adaptive-decay listener to train with, or {@code null}
     * @param projected a projected-statistics listener to train with (called before the monitor, so each
     *     checkpoint sees its latest write), or {@code null}
     */
    ScenarioDiagnosis(ScenarioConfig config, String name, AdaptiveDecay adaptive, ProjectedStatistics projected) {
        this.config = config;
        this.name = name;
        this.adaptive = adaptive;
        this.projected = projected;
    }

    /**
     * Trains and probes.
     *
     * @param probeEvery checkpoint interval
     * @param progress progress output (shared by runs trained in parallel)
     * @return the run's results
     */
    ReportAssembler.Run train(int probeEvery, Progress progress) {
        progress.startRun(name);
        result = MonitoredScenario.run(config, probeEvery, c -> progress.checkpoint(name, c, config.iterations()),
                projected == null ? List.of() : List.of(projected), adaptive == null ? List.of() : List.of(adaptive));
        return ReportAssembler.Run.of(name, configMap(config, probeEvery), result.checkpoints(), result.alarms(),
                config.bnDecay()).withProbePerTrainingBatch(result.probePerTrainingBatch());
    }

    /**
     * The "recalibrate at the end" fix: a copy of the trained network with precise BN applied,
     * probed once at the final iteration (rotation carried over from the last checkpoint).
     *
     * @param fixName the row's name
     * @return the recalibrated run's single checkpoint
     */
    ReportAssembler.Run recalibrated(String fixName) {
        BnNetwork net = MonitoredScenario.network(result).copy();
        PoseDataGenerator gen = new PoseDataGenerator(config.seed() ^ RECALIBRATION_STREAM, config.keypoints(),
                config.sigma());
        List<DataSet> batches = new ArrayList<>();
        for (int n = 0; n < RECALIBRATION_SAMPLES; n += config.batchSize()) {
            batches.add(gen.nextBatch(config.batchSize()).dataSet());
        }
        // serial: the demo already trains its runs side by side (ParallelRuns)
        PreciseBn.recalibrate(net, new ListDataSetIterator<>(batches, 1), RECALIBRATION_SAMPLES,
                io.github.bndoctor.stats.PopulationEstimator.POOLED, 1);
        Map<String, Double> rotation = new LinkedHashMap<>();
        List<Checkpoint> cps = result.checkpoints();
        if (!cps.isEmpty()) {
            for (LayerCheckpoint l : cps.get(cps.size() - 1).layers()) {
                rotation.put(l.name(), l.rotationDegPerIter());
            }
        }
        DataSet probe = result.run().data().probeSet(MonitoredScenario.PROBE_SIZE).dataSet();
        Checkpoint c = MonitoredScenario.diagnoser(config).diagnose(net, new INDArray[] {probe.getFeatures()},
                new INDArray[] {probe.getLabels()}, MonitoredScenario.preciseBatches(config).iterator(),
                config.iterations(), Long.MAX_VALUE, rotation);
        Map<String, Object> conf = new LinkedHashMap<>(configMap(config, 0));
        conf.put("name", fixName);
        conf.put("remedy", "PreciseBn.recalibrate on " + RECALIBRATION_SAMPLES + " examples after training");
        return ReportAssembler.Run.of(fixName, conf, List.of(c), AlarmPolicy.DEFAULT.evaluate(c), config.bnDecay())
                .withProbePerTrainingBatch(result.probePerTrainingBatch());
    }

    /**
     * @return the lag forecast of the configuration (from its network before training), saying where
     *     the equilibrium lies beyond the planned iterations
     */
    String forecast() {
        return LagForecast.table(LagForecast.of(BnNetwork.of(MobileNetV2Like.build(config))),
                OptionalLong.of(config.iterations()));
    }

    /** @return configuration lints for the trained network and planned length */
    List<Lint> lints() {
        return ConfigLints.check(MonitoredScenario.network(result), OptionalLong.of(config.iterations()));
    }

    private Map<String, Object> configMap(ScenarioConfig c, int probeEvery) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("scenario", "seed pose scenario (MobileNetV2-like, synthetic keypoint heatmaps)");
        m.put("optimizer", c.optimizer().name().toLowerCase(java.util.Locale.ROOT));
        m.put("learningRate", c.learningRate());
        if (c.optimizer() == io.github.bndoctor.scenario.Optimizer.NESTEROV) {
            m.put("momentum", c.momentum());
        }
        m.put("bnDecay", c.bnDecay());
        m.put("l2", c.l2());
        m.put("weightDecay", c.weightDecay());
        m.put("batchSize", c.batchSize());
        m.put("iterations", c.iterations());
        m.put("seed", c.seed());
        m.put("probeEvery", probeEvery);
        m.put("probe", MonitoredScenario.PROBE_SIZE + " held-out examples");
        m.put("preciseSamples", MonitoredScenario.PRECISE_SAMPLES);
        m.put("warmStartSamples", c.warmStartSamples());
        if (adaptive != null) {
            m.put("adaptiveDecay", String.format(java.util.Locale.ROOT, "budget %s deg, floor %s, every %d iterations",
                    adaptive.budgetDegrees(), adaptive.minDecay(), adaptive.every()));
        }
        if (projected != null) {
            m.put("projectedStatistics", String.format(java.util.Locale.ROOT, "input decay %s, written every %d iterations,"
                    + " accumulated every %d iterations, %s, sample floor %d", projected.inputDecay(), projected.every(),
                    projected.accumulateEvery(), projected.maxPositions() == Integer.MAX_VALUE ? "every position"
                            : "at most " + projected.maxPositions() + " positions per layer and batch",
                    projected.minSamples()));
        }
        return m;
    }
}
