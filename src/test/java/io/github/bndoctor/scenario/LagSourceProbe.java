package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.FeedingWeights;
import io.github.bndoctor.probe.PreciseStatistics;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.stats.PopulationEstimator;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Manual measurement, off unless {@code -Dlag.source=FAMILY,...} is given: one warm-started run per
 * family with {@link AdaptiveDecay} ({@code -Dlag.adaptive=BUDGET:FLOOR:EVERY[:upstream-affine]},
 * defaults if absent), and at each checkpoint, per BN layer, what moved its input over the EMA's mean
 * age at the decay in force: the angle of its feeding weights as one vector (what the listener
 * reads), the largest angle of one output channel's filter, and the largest angle of an upstream BN
 * layer's {@code [gamma; beta]}; beside them the layer's real moving statistics' cost alone
 * (eval/precise with that layer's moving statistics and every other layer's precise ones).
 */
class LagSourceProbe {
    private static final int KEEP = 64;

    @Test
    @EnabledIfSystemProperty(named = "lag.source", matches = ".+")
    void probe() {
        long seed = Long.getLong("lag.seed", 1);
        String setting = System.getProperty("lag.adaptive", "");
        List<Callable<String>> jobs = new ArrayList<>();
        for (String f : System.getProperty("lag.source").split(",")) {
            FamilyConfig c = NetworkFamily.valueOf(f).recipe(seed).toBuilder().warmStart(true).build();
            jobs.add(() -> {
                AdaptiveDecay.Builder ab = AdaptiveDecay.builder();
                if (!setting.isEmpty()) {
                    String[] p = setting.split(":");
                    ab.budgetDegrees(Double.parseDouble(p[0])).minDecay(Double.parseDouble(p[1]))
                            .every(Integer.parseInt(p[2]));
                }
                StringBuilder rows = new StringBuilder();
                MonitoredFamily.Result r = MonitoredFamily.run(c, List.of(ab.build(), sources(c, rows)));
                StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s [%s] worst from 100 e/t %.3f%n",
                        c.name(), setting, r.checkpoints().stream().filter(x -> x.iteration() >= 100)
                                .mapToDouble(x -> x.gap().evalToTrainRatio()).max().orElse(Double.NaN)));
                for (Checkpoint cp : r.checkpoints()) {
                    b.append(String.format(Locale.ROOT, "  %5d e/t %6.2f e/p %6.2f p/t %5.2f%n", cp.iteration(),
                            cp.gap().evalToTrainRatio(), cp.gap().evalToPreciseRatio(), cp.gap().preciseToTrainRatio()));
                }
                b.append(rows);
                System.out.print(b);
                return b.toString();
            });
        }
        ParallelRuns.all(jobs, 2, 1);
    }

    private static TrainingListener sources(FamilyConfig c, StringBuilder into) {
        org.nd4j.linalg.dataset.DataSet probe = c.family().data(c.seed()).probe(MonitoredFamily.probeSize(c));
        List<INDArray[]> precise = MonitoredFamily.preciseBatches(c);
        return new BaseTrainingListener() {
            final Map<String, ArrayDeque<double[]>> feed = new LinkedHashMap<>();
            final Map<String, ArrayDeque<double[]>> affine = new LinkedHashMap<>();
            FeedingWeights fw;

            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                long done = iteration + 1L;
                BnNetwork net = BnNetwork.of(model);
                if (fw == null) {
                    fw = FeedingWeights.of(net);
                }
                for (BnLayerRef ref : net.bnLayers()) {
                    push(feed, ref.name(), fw.read(net, ref.name()));
                    Layer l = net.layer(ref);
                    INDArray g = l.paramTable().get("gamma");
                    INDArray be = l.paramTable().get("beta");
                    push(affine, ref.name(), g == null ? null : concat(g, be));
                }
                if (done % c.checkpointEvery() != 0) {
                    return;
                }
                var p = PreciseStatistics.estimate(net, precise.iterator(), MonitoredFamily.PRECISE_SAMPLES,
                        PopulationEstimator.POOLED);
                Map<String, Double> real = FamilyProbe.realMovingAlone(net, probe, p);
                for (BnLayerRef ref : net.bnLayers()) {
                    double d = net.decay(ref);
                    int age = (int) Math.max(1, Math.round(d / (1 - d)));
                    double alone = real.get(ref.name());
                    double whole = angle(feed.get(ref.name()), age);
                    double channel = channelAngle(net, fw, ref.name(), feed.get(ref.name()), age);
                    double up = 0;
                    String upName = "-";
                    for (String u : net.upstreamBnLayers(ref)) {
                        double a = angle(affine.get(u), age);
                        if (a > up) {
                            up = a;
                            upName = u;
                        }
                    }
                    into.append(String.format(Locale.ROOT,
                            "    %5d %-10s d %.3f age %3d alone %5.2f Wangle %6.2f chanMax %6.2f upAffine %6.2f (%s)%n",
                            done, ref.name(), d, age, alone, whole, channel, up, upName));
                }
            }
        };
    }

    private static double[] concat(INDArray g, INDArray b) {
        double[] x = g.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] y = b.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] out = new double[x.length + y.length];
        System.arraycopy(x, 0, out, 0, x.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    private static void push(Map<String, ArrayDeque<double[]>> m, String k, double[] v) {
        ArrayDeque<double[]> q = m.computeIfAbsent(k, x -> new ArrayDeque<>());
        q.addFirst(v == null ? new double[0] : v.clone());
        if (q.size() > KEEP) {
            q.removeLast();
        }
    }

    private static double[] at(ArrayDeque<double[]> q, int age) {
        int i = 0;
        for (double[] v : q) {
            if (i++ == Math.min(age, q.size() - 1)) {
                return v;
            }
        }
        return null;
    }

    private static double angle(ArrayDeque<double[]> q, int age) {
        if (q == null || q.isEmpty() || q.peekFirst().length == 0) {
            return 0;
        }
        return deg(q.peekFirst(), at(q, age), 0, q.peekFirst().length, 1);
    }

    private static double deg(double[] a, double[] b, int from, int count, int stride) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int k = 0, i = from; k < count; k++, i += stride) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return Math.toDegrees(Math.acos(Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)))));
    }

    /** Largest angle of one output channel's filter among the feeding layers ([nOut, ...] conv, [nIn, nOut] dense). */
    private static double channelAngle(BnNetwork net, FeedingWeights fw, String bn, ArrayDeque<double[]> q, int age) {
        if (q == null || q.isEmpty() || q.peekFirst().length == 0) {
            return 0;
        }
        double[] now = q.peekFirst();
        double[] then = at(q, age);
        double max = 0;
        int offset = 0;
        for (String name : fw.feedingGroupOf(bn)) {
            INDArray w = layer(net, name).getParam("W");
            long[] s = w.shape();
            int n = (int) w.length();
            if (s.length == 4) {
                int per = n / (int) s[0];
                for (int ch = 0; ch < s[0]; ch++) {
                    max = Math.max(max, deg(now, then, offset + ch * per, per, 1));
                }
            } else if (s.length == 2) {
                int nIn = (int) s[0];
                int nOut = (int) s[1];
                for (int ch = 0; ch < nOut; ch++) {
                    max = Math.max(max, deg(now, then, offset + ch, nIn, nOut));
                }
            }
            offset += n;
        }
        return max;
    }

    private static Layer layer(BnNetwork net, String name) {
        if (net.model() instanceof ComputationGraph g) {
            return g.getLayer(name);
        }
        return ((MultiLayerNetwork) net.model()).getLayer(Integer.parseInt(name));
    }
}
