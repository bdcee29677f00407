package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BatchStatisticsFromUpdate;
import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.probe.NetworkMoments;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.OutputGapProbe;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Experiment: estimators of the current population statistics from the recorded batch statistics. */
final class EstimatorProbe {
    public static void main(String[] args) throws Exception {
        List<java.util.concurrent.Callable<Object>> jobs = new ArrayList<>();
        for (String a : args) {
            jobs.add(() -> { run(a.split(",")); return null; });
        }
        ParallelRuns.all(jobs, 2, 1);
    }

    static final class Recorder extends BaseTrainingListener {
        final List<Map<String, MeanVariance>> history = new ArrayList<>();
        @Override
        public void onGradientCalculation(Model model) {
            BnNetwork net = BnNetwork.of(model);
            Map<String, MeanVariance> m = new LinkedHashMap<>();
            for (BnLayerRef ref : net.bnLayers()) {
                m.put(ref.name(), BatchStatisticsFromUpdate.read(net, model.gradient(), ref));
            }
            history.add(m);
        }
    }

    interface Est { double[][] apply(List<double[]> series); }

    /** series: oldest first. returns the estimate (one value per channel). */
    static double[] ema(List<double[]> s, double d) {
        double[] x = s.get(0).clone();
        for (int i = 1; i < s.size(); i++) for (int c = 0; c < x.length; c++) x[c] = d * x[c] + (1 - d) * s.get(i)[c];
        return x;
    }

    static double[] holt(List<double[]> s, double a, double b, boolean log) {
        int n = s.get(0).length;
        double[] L = new double[n];
        double[] T = new double[n];
        for (int c = 0; c < n; c++) L[c] = tr(s.get(0)[c], log);
        for (int i = 1; i < s.size(); i++) {
            for (int c = 0; c < n; c++) {
                double y = tr(s.get(i)[c], log);
                double prev = L[c];
                L[c] = a * y + (1 - a) * (L[c] + T[c]);
                T[c] = b * (L[c] - prev) + (1 - b) * T[c];
            }
        }
        double[] out = new double[n];
        for (int c = 0; c < n; c++) out[c] = inv(L[c] + T[c], log);
        return out;
    }

    /** least-squares line over the last w points, evaluated one step ahead */
    static double[] line(List<double[]> s, int w, boolean log) {
        int n = s.get(0).length;
        int k0 = s.size() - w;
        double[] out = new double[n];
        for (int c = 0; c < n; c++) {
            double sx = 0, sy = 0, sxx = 0, sxy = 0;
            for (int i = k0; i < s.size(); i++) {
                double x = i - k0, y = tr(s.get(i)[c], log);
                sx += x; sy += y; sxx += x * x; sxy += x * y;
            }
            double slope = (w * sxy - sx * sy) / (w * sxx - sx * sx);
            double icpt = (sy - slope * sx) / w;
            out[c] = inv(icpt + slope * w, log);
        }
        return out;
    }

    static double tr(double v, boolean log) { return log ? Math.log(Math.max(v, 1e-30)) : v; }
    static double inv(double v, boolean log) { return log ? Math.exp(v) : v; }

    static void run(String[] a) {
        long seed = Long.parseLong(a[0]);
        int from = Integer.parseInt(a[1]);
        ScenarioConfig c = ScenarioConfig.seedCollapse().toBuilder().seed(seed).bnDecay(0.9).build();
        ScenarioRun run = ScenarioRun.start(c);
        Recorder rec = new Recorder();
        run.graph().addListeners(rec);
        DataSet probe = run.samples().probe(MonitoredScenario.PROBE_SIZE);
        ScenarioData big = c.kind().data(seed ^ 0x1234567L, c);
        List<INDArray[]> many = new ArrayList<>();
        for (int i = 0; i < 128; i++) many.add(new INDArray[] {big.trainingBatch(c.batchSize()).getFeatures()});
        INDArray[] f = {probe.getFeatures()};
        INDArray[] l = {probe.getLabels()};
        Map<String, java.util.function.Function<List<double[]>[], double[][]>> ests = new LinkedHashMap<>();
        for (double d : new double[] {0.5, 0.8, 0.9, 0.95, 0.97}) {
            ests.put(String.format(Locale.ROOT, "ema%.2f", d), s -> new double[][] {ema(s[0], d), ema(s[1], d)});
        }
        for (double[] ab : new double[][] {{0.2, 0.05}, {0.1, 0.02}, {0.05, 0.01}, {0.1, 0.05}, {0.05, 0.02}}) {
            ests.put(String.format(Locale.ROOT, "holt%.2f/%.2f", ab[0], ab[1]),
                    s -> new double[][] {holt(s[0], ab[0], ab[1], false), holt(s[1], ab[0], ab[1], true)});
        }
        for (int w : new int[] {10, 20, 40}) {
            ests.put("line" + w, s -> new double[][] {line(s[0], w, false), line(s[1], w, true)});
        }
        for (int it = 1; it <= c.iterations(); it++) {
            run.train(1);
            if (it < from || it % 50 != 0) continue;
            BnNetwork net = BnNetwork.of(run.graph());
            NetworkMoments mBig = NetworkMoments.empty();
            for (INDArray[] x : many) mBig = mBig.add(net, x);
            Map<String, MeanVariance> pBig = mBig.estimate(PopulationEstimator.POOLED);
            OutputGap g = OutputGapProbe.measure(net, f, l, pBig, LossMeasure.MSE, c.batchSize());
            double prec = g.preciseLoss();
            StringBuilder sb = new StringBuilder();
            List<Map<String, MeanVariance>> hist = rec.history.subList(rec.history.size() - 200, rec.history.size());
            for (var e : ests.entrySet()) {
                Map<String, MeanVariance> est = new LinkedHashMap<>();
                for (String layer : pBig.keySet()) {
                    List<double[]> ms = new ArrayList<>();
                    List<double[]> vs = new ArrayList<>();
                    for (var h : hist) { ms.add(h.get(layer).mean()); vs.add(h.get(layer).variance()); }
                    @SuppressWarnings("unchecked")
                    double[][] r = e.getValue().apply(new List[] {ms, vs});
                    for (int ch = 0; ch < r[1].length; ch++) r[1][ch] = Math.max(r[1][ch], 1e-12);
                    est.put(layer, new MeanVariance(r[0], r[1]));
                }
                double le = OutputGapProbe.measure(net, f, l, est, LossMeasure.MSE, c.batchSize()).preciseLoss();
                sb.append(String.format(Locale.ROOT, " %s %.3f", e.getKey(), le / prec));
            }
            synchronized (System.out) {
                System.out.printf(Locale.ROOT, "seed %d it %4d dl4j-ema0.9 %.3f |%s%n", seed, it, g.evalModeLoss() / prec, sb);
            }
        }
    }
}
