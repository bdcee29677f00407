package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.probe.LossMeasure;
import io.github.bndoctor.probe.NoiseCost;
import io.github.bndoctor.probe.OutputGapProbe;
import io.github.bndoctor.probe.PreciseStatistics;
import io.github.bndoctor.probe.ProbeChunk;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Manual measurement, off unless {@code -Djoint.probe=FAMILY,...} is given: one warm-started run per
 * family with {@link AdaptiveDecay} at its defaults, and at each checkpoint what the moving statistics'
 * eval/precise is made of. Beside the real eval/precise (every layer's moving statistics): the replayed
 * lag-free EMA (the run's last {@value #KEEP} training batches, regenerated from a twin of the seeded
 * stream, their statistics recomputed at the checkpoint's weights in training mode and averaged with
 * the decays each iteration applied: the same noise as the real EMA, no lag), alone per layer and all
 * together; the joint noise draws of {@link NoiseCost#together} (every moving layer), the same with
 * only the layers at most {@link NoiseCost#NEAR_FLOOR_DECAY} drawn (the others precise), and the
 * method's floor (every layer drawn at decay 0.999).
 */
class JointNoiseProbe {
    private static final int KEEP = 64;

    @Test
    @EnabledIfSystemProperty(named = "joint.probe", matches = ".+")
    void probe() {
        long seed = Long.getLong("joint.seed", 1);
        for (String f : System.getProperty("joint.probe").split(",")) {
            FamilyConfig c = NetworkFamily.valueOf(f).recipe(seed).toBuilder().warmStart(true).build();
            StringBuilder rows = new StringBuilder();
            boolean adaptive = !Boolean.getBoolean("joint.fixed");
            List<org.deeplearning4j.optimize.api.TrainingListener> after = adaptive
                    ? List.of(AdaptiveDecay.builder().build()) : List.of();
            MonitoredFamily.Result r = MonitoredFamily.run(c, List.of(replay(c, rows)), after);
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s %s worst from 100 e/t %.3f e/p %.3f%n",
                    c.name(), adaptive ? "adaptive" : "fixed",
                    r.checkpoints().stream().filter(x -> x.iteration() >= 100)
                            .mapToDouble(x -> x.gap().evalToTrainRatio()).max().orElse(Double.NaN),
                    r.checkpoints().stream().filter(x -> x.iteration() >= 100)
                            .mapToDouble(x -> x.gap().evalToPreciseRatio()).max().orElse(Double.NaN)));
            r.checkpoints().forEach(cp -> b.append(String.format(Locale.ROOT, "  monitor %5d e/t %.3f e/p %.3f p/t %.3f %s joint %.3f%n",
                    cp.iteration(), cp.gap().evalToTrainRatio(), cp.gap().evalToPreciseRatio(),
                    cp.gap().preciseToTrainRatio(), cp.verdict(), cp.jointNoiseCost())));
            io.github.bndoctor.probe.Checkpoint worst = r.checkpoints().stream().filter(x -> x.iteration() >= 100)
                    .max(java.util.Comparator.comparingDouble(x -> x.gap().evalToTrainRatio())).orElseThrow();
            io.github.bndoctor.remedy.Recommendations.from(r.checkpoints(), worst, c.decay(), r.probePerTrainingBatch())
                    .forEach(line -> b.append("  says: ").append(line).append(System.lineSeparator()));
            if (!Boolean.getBoolean("joint.norows")) {
                b.append(rows);
            }
            System.out.print(b);
        }
    }

    private static BaseTrainingListener replay(FamilyConfig c, StringBuilder into) {
        ScenarioData twin = c.family().data(c.seed());
        DataSet probe = twin.probe(MonitoredFamily.probeSize(c));
        List<INDArray[]> preciseData = MonitoredFamily.preciseBatches(c);
        ArrayDeque<INDArray> batches = new ArrayDeque<>();
        ArrayDeque<Map<String, Double>> decaysApplied = new ArrayDeque<>();
        return new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                BnNetwork net = BnNetwork.of(model);
                Map<String, Double> d = new LinkedHashMap<>();
                net.bnLayers().forEach(ref -> d.put(ref.name(), net.decay(ref)));
                batches.addFirst(twin.trainingBatch(c.batchSize()).getFeatures());
                decaysApplied.addFirst(d);
                if (batches.size() > KEEP) {
                    batches.removeLast();
                    decaysApplied.removeLast();
                }
                long done = iteration + 1L;
                if (done % c.checkpointEvery() == 0) {
                    into.append(row(net, done, d));
                }
            }

            private String row(BnNetwork net, long done, Map<String, Double> decays) {
                Map<String, MeanVariance> precise = PreciseStatistics.estimate(net, preciseData.iterator(),
                        MonitoredFamily.PRECISE_SAMPLES, PopulationEstimator.POOLED);
                List<ProbeChunk> chunk = List.of(new ProbeChunk(new INDArray[] {probe.getFeatures()},
                        new INDArray[] {probe.getLabels()}));
                double pl = OutputGapProbe.lossWith(net, chunk, precise, LossMeasure.MSE);
                double real = OutputGapProbe.lossWith(net, chunk, MovingStatistics.readAll(net), LossMeasure.MSE) / pl;
                Map<String, MeanVariance> lagFree = lagFree(net);
                double replayAll = OutputGapProbe.lossWith(net, chunk, lagFree, LossMeasure.MSE) / pl;
                StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                        "  %5d real e/p %.3f replay(lag-free, same batches) %.3f%n", done, real, replayAll));
                for (BnLayerRef ref : net.bnLayers()) {
                    Map<String, MeanVariance> one = new LinkedHashMap<>(precise);
                    one.put(ref.name(), lagFree.get(ref.name()));
                    Map<String, MeanVariance> realOne = new LinkedHashMap<>(precise);
                    realOne.put(ref.name(), MovingStatistics.read(net, ref));
                    s.append(String.format(Locale.ROOT, "        %-8s d %.3f real alone %.3f replay alone %.3f%n",
                            ref.name(), decays.get(ref.name()),
                            OutputGapProbe.lossWith(net, chunk, realOne, LossMeasure.MSE) / pl,
                            OutputGapProbe.lossWith(net, chunk, one, LossMeasure.MSE) / pl));
                }
                INDArray[] x = {probe.getFeatures()};
                INDArray[] y = {probe.getLabels()};
                double[] all = NoiseCost.drawn(net, x, y, precise, decays, c.batchSize(), LossMeasure.MSE, done);
                Map<String, Double> near = new LinkedHashMap<>();
                decays.forEach((k, v) -> near.put(k, v <= NoiseCost.NEAR_FLOOR_DECAY ? v : 1.0));
                double[] nearOnly = NoiseCost.drawn(net, x, y, precise, near, c.batchSize(), LossMeasure.MSE, done);
                Map<String, Double> floor = new LinkedHashMap<>();
                decays.forEach((k, v) -> floor.put(k, 0.999));
                double[] fl = NoiseCost.drawn(net, x, y, precise, floor, c.batchSize(), LossMeasure.MSE, done);
                s.append(String.format(Locale.ROOT, "        joint(all moving) %s mean %.3f; joint(<=2/3 only) mean %.3f;"
                        + " floor(all at 0.999) mean %.3f%n", round(all), NoiseCost.mean(all),
                        NoiseCost.mean(nearOnly), NoiseCost.mean(fl)));
                return s.toString();
            }

            /** EMA over the kept batches at the current weights, with the decays each iteration applied. */
            private Map<String, MeanVariance> lagFree(BnNetwork net) {
                Map<String, double[]> mean = new LinkedHashMap<>();
                Map<String, double[]> var = new LinkedHashMap<>();
                Map<String, Double> carried = new LinkedHashMap<>();
                Iterator<Map<String, Double>> di = decaysApplied.iterator();
                for (INDArray b : batches) {
                    Map<String, Double> d = di.next();
                    Map<String, io.github.bndoctor.dl4j.BatchStatistics> st = BatchStatisticsCapture.capture(net,
                            new INDArray[] {b}, true);
                    for (BnLayerRef ref : net.bnLayers()) {
                        String n = ref.name();
                        double keep = carried.getOrDefault(n, 1.0);
                        double w = keep * (1 - d.get(n));
                        MeanVariance mv = st.get(n).meanVariance();
                        double[] m = mean.computeIfAbsent(n, k -> new double[mv.mean().length]);
                        double[] v = var.computeIfAbsent(n, k -> new double[mv.mean().length]);
                        for (int i = 0; i < m.length; i++) {
                            m[i] += w * mv.mean()[i];
                            v[i] += w * mv.variance()[i];
                        }
                        carried.put(n, keep * d.get(n));
                    }
                }
                Map<String, MeanVariance> out = new LinkedHashMap<>();
                for (String n : mean.keySet()) {
                    double total = 1 - carried.get(n);
                    double[] m = mean.get(n);
                    double[] v = var.get(n);
                    for (int i = 0; i < m.length; i++) {
                        m[i] /= total;
                        v[i] /= total;
                    }
                    out.put(n, new MeanVariance(m, v));
                }
                return out;
            }
        };
    }

    private static String round(double[] xs) {
        StringBuilder b = new StringBuilder();
        for (double x : xs) {
            b.append(String.format(Locale.ROOT, "%.2f ", x));
        }
        return b.toString().trim();
    }
}
