package io.github.bndoctor.scenario;

import io.github.bndoctor.testkit.RecordWriter;
import io.github.bndoctor.dl4j.BatchStatisticsFromUpdate;
import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.probe.NetworkMoments;
import io.github.bndoctor.probe.OutputGapProbe;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Calibration driver separating an EMA's lag from its batch noise on the seed configuration (not a
 * test; run with {@code java} on the test classpath, {@code OMP_NUM_THREADS=1} and the native speed
 * settings of {@code backend.NativeSpeedSettings}).
 *
 * <p>Usage: {@code EmaLagCalibration SEED,FROM...}: trains {@link ScenarioConfig#seedCollapse()} for
 * that seed (the decay does not change training), records every iteration's batch statistics from
 * the moving-statistics update ({@link BatchStatisticsFromUpdate}) and keeps the last
 * {@value #KEEP} training batches. Every 50 iterations from {@code FROM} it prints the probe's
 * inference-mode loss divided by the loss with precise statistics of 1,024 training examples, with
 * moving statistics made two ways for each decay {@code d}:
 * <ul>
 *   <li>{@code ema d}: the EMA of the recorded batch statistics over those batches (weights
 *       {@code d^age}, normalised), what DL4J holds at that decay (lag and noise);</li>
 *   <li>{@code now d}: the same EMA weights over the statistics of the same recent batches
 *       recomputed at the current weights (the noise of that window without its lag).</li>
 * </ul>
 */
final class EmaLagCalibration {
    static final int KEEP = 60;
    static final double[] DECAYS = {0.5, 0.8, 0.9, 0.97};

    private EmaLagCalibration() {
    }

    public static void main(String[] args) throws Exception {
        // the calibration ran with DL4J's oneDNN layer helpers (an explicit opt-in since ScenarioRun sets none)
        io.github.bndoctor.backend.NativeSpeedSettings.allowLayerHelpers();
        try (RecordWriter.Section record = RecordWriter.section("EmaLagCalibration " + String.join(" ", args))) {
            List<Callable<Object>> jobs = new ArrayList<>();
            for (String a : args) {
                String[] p = a.split(",");
                jobs.add(() -> {
                    run(Long.parseLong(p[0]), Integer.parseInt(p[1]));
                    return null;
                });
            }
            ParallelRuns.all(jobs, 2, 1);
        }
    }

    /** Every iteration's batch statistics per BN layer, read between gradient and update. */
    private static final class Recorder extends BaseTrainingListener {
        final Deque<Map<String, MeanVariance>> recent = new ArrayDeque<>();

        @Override
        public void onGradientCalculation(Model model) {
            BnNetwork net = BnNetwork.of(model);
            Map<String, MeanVariance> m = new LinkedHashMap<>();
            for (BnLayerRef ref : net.bnLayers()) {
                m.put(ref.name(), BatchStatisticsFromUpdate.read(net, model.gradient(), ref));
            }
            recent.addFirst(m);
            if (recent.size() > KEEP) {
                recent.removeLast();
            }
        }
    }

    /** Weights {@code d^k} over the batches, newest first, normalised. */
    private static Map<String, MeanVariance> weighted(List<Map<String, MeanVariance>> newestFirst, double d) {
        Map<String, MeanVariance> out = new LinkedHashMap<>();
        double total = 0;
        for (int k = 0; k < newestFirst.size(); k++) {
            total += Math.pow(d, k);
        }
        for (String layer : newestFirst.get(0).keySet()) {
            int n = newestFirst.get(0).get(layer).channels();
            double[] m = new double[n];
            double[] v = new double[n];
            for (int k = 0; k < newestFirst.size(); k++) {
                double w = Math.pow(d, k) / total;
                MeanVariance s = newestFirst.get(k).get(layer);
                for (int c = 0; c < n; c++) {
                    m[c] += w * s.mean()[c];
                    v[c] += w * s.variance()[c];
                }
            }
            out.put(layer, new MeanVariance(m, v));
        }
        return out;
    }

    private static void run(long seed, int from) {
        ScenarioConfig c = ScenarioConfig.seedCollapse().toBuilder().seed(seed).bnDecay(0.9).build();
        ScenarioRun run = ScenarioRun.start(c);
        Recorder recorder = new Recorder();
        run.graph().addListeners(recorder);
        DataSet probe = run.samples().probe(MonitoredScenario.PROBE_SIZE);
        ScenarioData reference = c.kind().data(seed ^ 0x1234567L, c);
        List<INDArray[]> referenceBatches = new ArrayList<>();
        for (int i = 0; i < 1024 / c.batchSize(); i++) {
            referenceBatches.add(new INDArray[] {reference.trainingBatch(c.batchSize()).getFeatures()});
        }
        INDArray[] f = {probe.getFeatures()};
        INDArray[] l = {probe.getLabels()};
        Deque<INDArray[]> batches = new ArrayDeque<>();
        for (int it = 1; it <= c.iterations(); it++) {
            DataSet b = run.samples().trainingBatch(c.batchSize());
            run.graph().fit(b);
            batches.addFirst(new INDArray[] {b.getFeatures()});
            if (batches.size() > KEEP) {
                batches.removeLast();
            }
            if (it < from || it % 50 != 0) {
                continue;
            }
            BnNetwork net = BnNetwork.of(run.graph());
            NetworkMoments moments = NetworkMoments.empty();
            for (INDArray[] x : referenceBatches) {
                moments = moments.add(net, x);
            }
            double precise = loss(net, f, l, moments.estimate(PopulationEstimator.POOLED), c);
            List<Map<String, MeanVariance>> now = new ArrayList<>();
            for (INDArray[] x : batches) {
                now.add(NetworkMoments.empty().add(net, x).estimate(PopulationEstimator.MEAN_OF_BATCH_VARIANCES));
            }
            List<Map<String, MeanVariance>> then = new ArrayList<>(recorder.recent);
            StringBuilder line = new StringBuilder();
            for (double d : DECAYS) {
                line.append(String.format(Locale.ROOT, "  ema %.2f %.3f now %.3f", d,
                        loss(net, f, l, weighted(then, d), c) / precise, loss(net, f, l, weighted(now, d), c) / precise));
            }
            synchronized (System.out) {
                System.out.printf(Locale.ROOT, "seed %d it %4d eval/precise:%s%n", seed, it, line);
            }
        }
    }

    private static double loss(BnNetwork net, INDArray[] f, INDArray[] l, Map<String, MeanVariance> stats,
                               ScenarioConfig c) {
        return OutputGapProbe.measure(net, f, l, stats, LossMeasure.MSE, c.batchSize()).preciseLoss();
    }
}
