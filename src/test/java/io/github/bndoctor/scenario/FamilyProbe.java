package io.github.bndoctor.scenario;

import io.github.bndoctor.probe.Checkpoint;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.ArrayList;
import io.github.bndoctor.remedy.AdaptiveDecay;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Manual calibration, off unless {@code -Dfamily.probe=FAMILY,...} is given: one monitored run per
 * family (recipe, {@code -Dfamily.seed}, {@code -Dfamily.warm}), its checkpoints printed. With
 * {@code -Dfamily.adaptive=BUDGET:FLOOR:EVERY,...} one run per family and setting, each with an
 * {@link AdaptiveDecay} of that budget (degrees), floor decay and interval, and its worst eval/train
 * and eval/precise from iteration 100 printed. {@code -Dfamily.layers=true} adds each BN layer's row per
 * checkpoint (decay in force, EMA, lag and batch errors, rotation, noise cost) and the noise-limit verdict.
 * Layers that lag even at the shortest window are printed whether or not the run needed a remedy.
 */
class FamilyProbe {
    @Test
    @EnabledIfSystemProperty(named = "family.probe", matches = ".+")
    void probe() {
        long seed = Long.getLong("family.seed", 1);
        boolean warm = Boolean.getBoolean("family.warm");
        List<Callable<String>> jobs = new ArrayList<>();
        String[] settings = System.getProperty("family.adaptive", "").isEmpty() ? new String[] {""}
                : System.getProperty("family.adaptive").split(",");
        for (String f : System.getProperty("family.probe").split(",")) {
            for (String setting : settings) {
                FamilyConfig c = NetworkFamily.valueOf(f).recipe(seed).toBuilder().warmStart(warm).build();
                jobs.add(() -> {
                    long t0 = System.nanoTime();
                    List<TrainingListener> extra = List.of();
                    if (!setting.isEmpty()) {
                        String[] p = setting.split(":");
                        extra = List.of(AdaptiveDecay.builder().budgetDegrees(Double.parseDouble(p[0]))
                                .minDecay(Double.parseDouble(p[1])).every(Integer.parseInt(p[2])).build());
                    }
                    StringBuilder joint = new StringBuilder();
                    if (Boolean.getBoolean("family.layers")) {
                        extra = new ArrayList<>(extra);
                        extra.add(jointNoise(c, joint));
                    }
                    MonitoredFamily.Result r = MonitoredFamily.run(c, extra);
                    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s adaptive [%s]: %.1f s gate %s"
                            + " worst from 100 e/t %.3f e/p %.3f%n", c.name(), setting,
                            (System.nanoTime() - t0) / 1e9, r.gateFails() ? "FAIL" : "PASS",
                            r.checkpoints().stream().filter(x -> x.iteration() >= 100)
                                    .mapToDouble(x -> x.gap().evalToTrainRatio()).max().orElse(Double.NaN),
                            r.checkpoints().stream().filter(x -> x.iteration() >= 100)
                                    .mapToDouble(x -> x.gap().evalToPreciseRatio()).max().orElse(Double.NaN)));
                    for (Checkpoint cp : r.checkpoints()) {
                        b.append(String.format(Locale.ROOT, "  %5d e/t %7.2f e/p %7.2f p/t %5.2f pred %6.1f meas %6.1f %s%n",
                                cp.iteration(), cp.gap().evalToTrainRatio(), cp.gap().evalToPreciseRatio(),
                                cp.gap().preciseToTrainRatio(), cp.medianPredictedLag(), cp.medianMeasuredLag(), cp.verdict()));
                        if (Boolean.getBoolean("family.layers")) {
                            for (io.github.bndoctor.probe.LayerCheckpoint l : cp.layers()) {
                                b.append(String.format(Locale.ROOT, "        %-12s d %.3f ema %.3f lag %.3f batch %.3f"
                                        + " rot %.3f noiseCost %.3f%n", l.name(), l.decay(), l.decomposition().emaError(),
                                        l.decomposition().lagError(), l.decomposition().batchNoise(),
                                        l.rotationDegPerIter(), l.noiseCost()));
                            }
                        }
                    }
                    for (io.github.bndoctor.probe.NoiseLimit n : io.github.bndoctor.probe.NoiseLimit.of(r.checkpoints(),
                            r.probePerTrainingBatch())) {
                        b.append("  ").append(n.describe()).append(System.lineSeparator());
                    }
                    for (io.github.bndoctor.probe.LagAtFloor l : io.github.bndoctor.probe.LagAtFloor.layers(r.checkpoints(),
                            AdaptiveDecay.DEFAULT_BUDGET_DEG)) {
                        b.append("  [judged whether or not needed] ").append(l.describe()).append(System.lineSeparator());
                    }
                    io.github.bndoctor.probe.NoiseLimit.unmeasured(r.checkpoints(), r.probePerTrainingBatch())
                            .ifPresent(u -> b.append("  ").append(u).append(System.lineSeparator()));
                    b.append(joint);
                    System.out.print(b);
                    return b.toString();
                });
            }
        }
        ParallelRuns.all(jobs, 2, 1);
    }

    /**
     * At each checkpoint: every moving layer drawn at once if some layer is near the floor
     * ({@link io.github.bndoctor.probe.NoiseCost#together}, centred on the precise statistics: mean,
     * min, max of the draws' eval/precise), and per layer the real moving statistics' cost alone
     * (that layer's moving statistics, every other layer precise: eval/precise).
     */
    private static TrainingListener jointNoise(FamilyConfig c, StringBuilder into) {
        org.nd4j.linalg.dataset.DataSet probe = c.family().data(c.seed()).probe(MonitoredFamily.probeSize(c));
        List<org.nd4j.linalg.api.ndarray.INDArray[]> precise = MonitoredFamily.preciseBatches(c);
        return new org.deeplearning4j.optimize.api.BaseTrainingListener() {
            @Override
            public void iterationDone(org.deeplearning4j.nn.api.Model model, int iteration, int epoch) {
                long done = iteration + 1L;
                if (done % c.checkpointEvery() != 0) {
                    return;
                }
                var net = io.github.bndoctor.dl4j.BnNetwork.of(model);
                var p = io.github.bndoctor.probe.PreciseStatistics.estimate(net, precise.iterator(),
                        MonitoredFamily.PRECISE_SAMPLES, io.github.bndoctor.stats.PopulationEstimator.POOLED);
                java.util.Map<String, Double> decays = new java.util.LinkedHashMap<>();
                net.bnLayers().forEach(ref -> decays.put(ref.name(), net.decay(ref)));
                var x = new org.nd4j.linalg.api.ndarray.INDArray[] {probe.getFeatures()};
                var y = new org.nd4j.linalg.api.ndarray.INDArray[] {probe.getLabels()};
                double[] d = io.github.bndoctor.probe.NoiseCost.together(net, x, y, p, decays, c.batchSize(),
                        io.github.bndoctor.probe.LossMeasure.MSE, done);
                StringBuilder real = new StringBuilder();
                realMovingAlone(net, probe, p).forEach((layer, r) -> real.append(String.format(Locale.ROOT, " %s %.2f",
                        layer, r)));
                into.append(String.format(Locale.ROOT, "  joint %5d noise e/p mean %.2f min %.2f max %.2f; real moving alone:%s%n",
                        done, java.util.Arrays.stream(d).average().orElse(Double.NaN),
                        java.util.Arrays.stream(d).min().orElse(Double.NaN),
                        java.util.Arrays.stream(d).max().orElse(Double.NaN), real));
            }
        };
    }

    /**
     * Per BN layer, the probe's eval/precise with that layer's real moving statistics and every other
     * layer's precise ones.
     */
    static java.util.Map<String, Double> realMovingAlone(io.github.bndoctor.dl4j.BnNetwork net,
                                                        org.nd4j.linalg.dataset.DataSet probe,
                                                        java.util.Map<String, io.github.bndoctor.stats.MeanVariance> precise) {
        var chunk = List.of(new io.github.bndoctor.probe.ProbeChunk(
                new org.nd4j.linalg.api.ndarray.INDArray[] {probe.getFeatures()},
                new org.nd4j.linalg.api.ndarray.INDArray[] {probe.getLabels()}));
        double pl = io.github.bndoctor.probe.OutputGapProbe.lossWith(net, chunk, precise,
                io.github.bndoctor.probe.LossMeasure.MSE);
        java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (var ref : net.bnLayers()) {
            java.util.Map<String, io.github.bndoctor.stats.MeanVariance> one = new java.util.LinkedHashMap<>(precise);
            one.put(ref.name(), io.github.bndoctor.dl4j.MovingStatistics.read(net, ref));
            out.put(ref.name(), io.github.bndoctor.probe.OutputGapProbe.lossWith(net, chunk, one,
                    io.github.bndoctor.probe.LossMeasure.MSE) / pl);
        }
        return out;
    }
}
