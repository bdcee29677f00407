package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.lint.ConfigLints;
import io.github.bndoctor.lint.Lint;
import io.github.bndoctor.monitor.Alarm;
import io.github.bndoctor.monitor.AlarmPolicy;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.Diagnoser;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.report.ReportAssembler;
import io.github.bndoctor.scenario.PoseDataGenerator;
import io.github.bndoctor.scenario.ScenarioConfig;
import io.github.bndoctor.scenario.ScenarioRun;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Trains one seed-scenario configuration with {@link BnMonitor} attached (fail-fast off): probe =
 * the held-out probe set of {@link PoseDataGenerator#probeSet}, precise statistics from a separate
 * generator stream, checkpoints every {@code probeEvery} iterations.
 */
final class ScenarioDiagnosis {
    /** Held-out probe examples. */
    static final int PROBE_SIZE = 64;
    /** Examples of the precise-statistics stream (the monitor's default 256). */
    static final int PRECISE_SAMPLES = 256;
    private static final long PRECISE_STREAM = 0x7072656369736542L;

    private final ScenarioConfig config;
    private final String name;
    private ComputationGraph graph;
    private List<INDArray[]> precise;
    private DataSet probe;
    private BnMonitor monitor;

    ScenarioDiagnosis(ScenarioConfig config, String name) {
        this.config = config;
        this.name = name;
    }

    /**
     * Trains and probes.
     *
     * @param probeEvery checkpoint interval
     * @param progress progress output
     * @param doneBefore iterations of earlier runs (for the ETA)
     * @return the run's results
     */
    ReportAssembler.Run train(int probeEvery, Progress progress, long doneBefore) {
        ScenarioRun run = ScenarioRun.start(config);
        graph = run.graph();
        probe = run.data().probeSet(PROBE_SIZE).dataSet();
        PoseDataGenerator preciseGen = new PoseDataGenerator(config.seed() ^ PRECISE_STREAM, config.keypoints(),
                config.sigma());
        precise = new ArrayList<>();
        for (int n = 0; n < PRECISE_SAMPLES; n += config.batchSize()) {
            precise.add(new INDArray[] {preciseGen.nextBatch(config.batchSize()).dataSet().getFeatures()});
        }
        BnMonitor.Builder b = BnMonitor.builder(probe.getFeatures(), probe.getLabels())
                .preciseData(() -> precise.iterator()).every(probeEvery).failFast(false)
                .onCheckpoint(c -> progress.checkpoint(atIteration(c, (monitor.checkpoints().size()) * (long) probeEvery),
                        config.iterations()));
        if (config.warmStartSamples() > 0) {
            b.warmStarted();
        }
        monitor = b.build();
        graph.addListeners(monitor);
        progress.startRun(name, doneBefore);
        run.train(config.iterations());
        // A warm-started monitor passes "iterations = Long.MAX_VALUE" (no prior) to the diagnoser, which
        // then stamps its checkpoints with it: put the real iteration back and re-derive the alarms.
        List<Checkpoint> cps = new ArrayList<>();
        List<Alarm> alarms = new ArrayList<>();
        for (int i = 0; i < monitor.checkpoints().size(); i++) {
            Checkpoint c = atIteration(monitor.checkpoints().get(i), (i + 1L) * probeEvery);
            cps.add(c);
            alarms.addAll(AlarmPolicy.DEFAULT.evaluate(c));
        }
        return ReportAssembler.Run.of(name, configMap(config, probeEvery), cps, alarms, config.bnDecay());
    }

    /**
     * The "recalibrate at the end" fix: a copy of the trained network with precise BN applied,
     * probed once at the final iteration (rotation carried over from the last checkpoint).
     *
     * @param fixName the row's name
     * @return the recalibrated run's single checkpoint
     */
    ReportAssembler.Run recalibrated(String fixName) {
        ComputationGraph copy = graph.clone();
        BnNetwork net = BnNetwork.requireBatchNorm(copy);
        PoseDataGenerator gen = new PoseDataGenerator(config.seed() ^ PRECISE_STREAM ^ 1L, config.keypoints(),
                config.sigma());
        List<DataSet> batches = new ArrayList<>();
        for (int n = 0; n < 2 * PRECISE_SAMPLES; n += config.batchSize()) {
            batches.add(gen.nextBatch(config.batchSize()).dataSet());
        }
        PreciseBn.recalibrate(net, new ListDataSetIterator<>(batches, 1), 2 * PRECISE_SAMPLES);
        Map<String, Double> rotation = new LinkedHashMap<>();
        List<Checkpoint> cps = monitor.checkpoints();
        if (!cps.isEmpty()) {
            for (LayerCheckpoint l : cps.get(cps.size() - 1).layers()) {
                rotation.put(l.name(), l.rotationDegPerIter());
            }
        }
        Checkpoint c = Diagnoser.defaults().diagnose(net, new INDArray[] {probe.getFeatures()},
                new INDArray[] {probe.getLabels()}, precise.iterator(),
                config.warmStartSamples() > 0 ? Long.MAX_VALUE : config.iterations(), rotation);
        c = atIteration(c, config.iterations());
        Map<String, Object> conf = new LinkedHashMap<>(configMap(config, monitor.every()));
        conf.put("name", fixName);
        conf.put("remedy", "PreciseBn.recalibrate on " + 2 * PRECISE_SAMPLES + " examples after training");
        return ReportAssembler.Run.of(fixName, conf, List.of(c), AlarmPolicy.DEFAULT.evaluate(c), config.bnDecay());
    }

    private static Checkpoint atIteration(Checkpoint c, long iteration) {
        return new Checkpoint(iteration, c.gap(), c.layers(), c.verdict());
    }

    /** @return configuration lints for the trained network and planned length */
    List<Lint> lints() {
        return ConfigLints.check(BnNetwork.requireBatchNorm(graph), OptionalLong.of(config.iterations()));
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
        m.put("probe", PROBE_SIZE + " held-out examples");
        m.put("preciseSamples", PRECISE_SAMPLES);
        m.put("warmStartSamples", c.warmStartSamples());
        return m;
    }
}
