package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.probe.NetworkMoments;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.OutputGapProbe;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Experiment: what sets the eval/precise floor of a short EMA late in the seed run. */
final class EmaFloorProbe {
    public static void main(String[] args) throws Exception {
        List<java.util.concurrent.Callable<Object>> jobs = new ArrayList<>();
        for (String a : args) {
            jobs.add(() -> { run(a.split(",")); return null; });
        }
        ParallelRuns.all(jobs, 2, 1);
    }

    static void run(String[] a) {
        long seed = Long.parseLong(a[0]);
        double decay = Double.parseDouble(a[1]);
        int bigBatches = Integer.parseInt(a[2]);
        ScenarioConfig c = ScenarioConfig.seedCollapse().toBuilder().seed(seed).bnDecay(decay).build();
        ScenarioRun run = ScenarioRun.start(c);
        DataSet probe = run.samples().probe(MonitoredScenario.PROBE_SIZE);
        List<INDArray[]> fixed = MonitoredScenario.preciseBatches(c);
        ScenarioData big = c.kind().data(seed ^ 0x1234567L, c);
        List<INDArray[]> many = new ArrayList<>();
        for (int i = 0; i < bigBatches; i++) {
            many.add(new INDArray[] {big.trainingBatch(c.batchSize()).getFeatures()});
        }
        INDArray[] f = {probe.getFeatures()};
        INDArray[] l = {probe.getLabels()};
        for (int it = 100; it <= c.iterations(); it += 100) {
            run.train(it - run.iteration());
            BnNetwork net = BnNetwork.of(run.graph());
            NetworkMoments m128 = NetworkMoments.empty();
            for (INDArray[] b : fixed) m128 = m128.add(net, b);
            NetworkMoments mBig = NetworkMoments.empty();
            for (INDArray[] b : many) mBig = mBig.add(net, b);
            Map<String, MeanVariance> p128 = m128.estimate(PopulationEstimator.POOLED);
            Map<String, MeanVariance> v128 = m128.estimate(PopulationEstimator.MEAN_OF_BATCH_VARIANCES);
            Map<String, MeanVariance> pBig = mBig.estimate(PopulationEstimator.POOLED);
            Map<String, MeanVariance> vBig = mBig.estimate(PopulationEstimator.MEAN_OF_BATCH_VARIANCES);
            Map<String, MeanVariance> ema = MovingStatistics.readAll(net);
            // EMA variance plus the between-batch variance of the means (pooled - mean of batch variances)
            Map<String, MeanVariance> emaCorr = new LinkedHashMap<>();
            for (String k : ema.keySet()) {
                double[] v = ema.get(k).variance().clone();
                for (int ch = 0; ch < v.length; ch++) {
                    v[ch] += pBig.get(k).variance()[ch] - vBig.get(k).variance()[ch];
                }
                emaCorr.put(k, new MeanVariance(ema.get(k).mean(), v));
            }
            OutputGap g = OutputGapProbe.measure(net, f, l, p128, LossMeasure.MSE, c.batchSize());
            double t = g.trainModeLoss();
            double lv128 = OutputGapProbe.measure(net, f, l, v128, LossMeasure.MSE, c.batchSize()).preciseLoss();
            double lpBig = OutputGapProbe.measure(net, f, l, pBig, LossMeasure.MSE, c.batchSize()).preciseLoss();
            double lvBig = OutputGapProbe.measure(net, f, l, vBig, LossMeasure.MSE, c.batchSize()).preciseLoss();
            double lCorr = OutputGapProbe.measure(net, f, l, emaCorr, LossMeasure.MSE, c.batchSize()).preciseLoss();
            synchronized (System.out) {
                System.out.printf(Locale.ROOT,
                        "seed %d decay %.3f it %4d  train %.5f | /train: ema %.3f  pooled128 %.3f  mobv128 %.3f"
                                + "  pooledBig %.3f  mobvBig %.3f  ema+between %.3f | ema/pooled128 %.3f%n",
                        seed, decay, it, t, g.evalModeLoss() / t, g.preciseLoss() / t, lv128 / t, lpBig / t,
                        lvBig / t, lCorr / t, g.evalModeLoss() / g.preciseLoss());
            }
        }
    }
}
