package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.probe.NetworkMoments;
import io.github.bndoctor.probe.OutputGapProbe;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Experiment: lag or noise? EMA vs the same EMA weights over the last batches' statistics at the current weights. */
final class EmaOracleProbe {
    static final int KEEP = 60;

    public static void main(String[] args) throws Exception {
        List<java.util.concurrent.Callable<Object>> jobs = new ArrayList<>();
        for (String a : args) {
            jobs.add(() -> { run(a.split(",")); return null; });
        }
        ParallelRuns.all(jobs, 2, 1);
    }

    static Map<String, MeanVariance> weighted(List<Map<String, MeanVariance>> perBatch, double[] w) {
        Map<String, MeanVariance> out = new LinkedHashMap<>();
        double tot = 0;
        for (int k = 0; k < w.length; k++) tot += w[k];
        for (String layer : perBatch.get(0).keySet()) {
            int n = perBatch.get(0).get(layer).channels();
            double[] m = new double[n];
            double[] v = new double[n];
            for (int k = 0; k < w.length; k++) {
                MeanVariance s = perBatch.get(k).get(layer);
                for (int c = 0; c < n; c++) {
                    m[c] += w[k] / tot * s.mean()[c];
                    v[c] += w[k] / tot * s.variance()[c];
                }
            }
            out.put(layer, new MeanVariance(m, v));
        }
        return out;
    }

    static void run(String[] a) {
        long seed = Long.parseLong(a[0]);
        double decay = Double.parseDouble(a[1]);
        int from = Integer.parseInt(a[2]);
        ScenarioConfig c = ScenarioConfig.seedCollapse().toBuilder().seed(seed).bnDecay(decay).build();
        ScenarioRun run = ScenarioRun.start(c);
        DataSet probe = run.samples().probe(MonitoredScenario.PROBE_SIZE);
        ScenarioData big = c.kind().data(seed ^ 0x1234567L, c);
        List<INDArray[]> many = new ArrayList<>();
        for (int i = 0; i < 128; i++) {
            many.add(new INDArray[] {big.trainingBatch(c.batchSize()).getFeatures()});
        }
        INDArray[] f = {probe.getFeatures()};
        INDArray[] l = {probe.getLabels()};
        Deque<INDArray[]> recent = new ArrayDeque<>();
        for (int it = 1; it <= c.iterations(); it++) {
            DataSet b = run.samples().trainingBatch(c.batchSize());
            run.graph().fit(b);
            recent.addFirst(new INDArray[] {b.getFeatures()});
            if (recent.size() > KEEP) recent.removeLast();
            if (it < from || it % 50 != 0) continue;
            BnNetwork net = BnNetwork.of(run.graph());
            NetworkMoments mBig = NetworkMoments.empty();
            for (INDArray[] x : many) mBig = mBig.add(net, x);
            Map<String, MeanVariance> pBig = mBig.estimate(PopulationEstimator.POOLED);
            List<Map<String, MeanVariance>> per = new ArrayList<>();
            for (INDArray[] x : recent) per.add(NetworkMoments.empty().add(net, x).estimate(PopulationEstimator.MEAN_OF_BATCH_VARIANCES));
            double train = OutputGapProbe.measure(net, f, l, pBig, LossMeasure.MSE, c.batchSize()).trainModeLoss();
            double ema = OutputGapProbe.measure(net, f, l, pBig, LossMeasure.MSE, c.batchSize()).evalModeLoss();
            double prec = OutputGapProbe.measure(net, f, l, pBig, LossMeasure.MSE, c.batchSize()).preciseLoss();
            StringBuilder sb = new StringBuilder();
            for (double d : new double[] {0.5, 0.8, 0.9, 0.95}) {
                double[] w = new double[per.size()];
                for (int k = 0; k < w.length; k++) w[k] = Math.pow(d, k);
                double lf = OutputGapProbe.measure(net, f, l, weighted(per, w), LossMeasure.MSE, c.batchSize()).preciseLoss();
                sb.append(String.format(Locale.ROOT, " lagfree%.2f %.3f", d, lf / prec));
            }
            for (int k : new int[] {1, 5, 20, 60}) {
                double[] w = new double[per.size()];
                for (int j = 0; j < Math.min(k, w.length); j++) w[j] = 1;
                double lf = OutputGapProbe.measure(net, f, l, weighted(per, w), LossMeasure.MSE, c.batchSize()).preciseLoss();
                sb.append(String.format(Locale.ROOT, " last%d %.3f", k, lf / prec));
            }
            synchronized (System.out) {
                System.out.printf(Locale.ROOT, "seed %d d %.3f it %4d precise/train %.3f | /precise: ema %.3f |%s%n",
                        seed, decay, it, prec / train, ema / prec, sb);
            }
        }
    }
}
