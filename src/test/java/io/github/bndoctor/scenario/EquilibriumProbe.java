package io.github.bndoctor.scenario;

import io.github.bndoctor.testkit.RecordWriter;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Calibration driver for the lag forecast's premise (not a test; run with {@code java} on the test
 * classpath, {@code OMP_NUM_THREADS=1} and the native speed settings of
 * {@code backend.NativeSpeedSettings}): trains {@link ScenarioConfig#nesterovL2Equilibrium()} (first
 * argument {@code sgd}) or {@link ScenarioConfig#adamWeightDecayEquilibrium()} ({@code adamw}), further
 * arguments {@code seed=N}, {@code it=N} or overrides as {@code ScenarioCalibration} (e.g.
 * {@code eps=1e-3}), and prints every 50 iterations per regularised convolution: the one-step rotation
 * of the whole kernel and of its rows (output channels), the weight norm and its one-step relative
 * change, the row norms, the BN input's batch variance (min, median, max over channels) against
 * epsilon, and the BN gammas; at the end per layer the forecast rotation against the median measured
 * one over the second half, and the median of the mean v/(v+eps).
 */
final class EquilibriumProbe {
    public static void main(String[] args) {
        // the calibration ran with DL4J's oneDNN layer helpers (an explicit opt-in since ScenarioRun sets none)
        io.github.bndoctor.backend.NativeSpeedSettings.allowLayerHelpers();
        try (RecordWriter.Section record = RecordWriter.section("EquilibriumProbe " + String.join(" ", args))) {
            ScenarioConfig c = args[0].equals("adamw") ? ScenarioConfig.adamWeightDecayEquilibrium()
                    : ScenarioConfig.nesterovL2Equilibrium();
            for (String a : java.util.Arrays.copyOfRange(args, 1, args.length)) {
                c = a.startsWith("seed=") ? c.withSeed(Long.parseLong(a.substring(5))) : a.startsWith("it=")
                        ? c.toBuilder().iterations(Integer.parseInt(a.substring(3))).build()
                        : ScenarioCalibration.override(c, a);
            }
            System.out.println(c);
            final ScenarioConfig cfg = c;
            ScenarioRun run = ScenarioRun.start(c);
            ComputationGraph g = run.graph();
            java.util.List<io.github.bndoctor.lint.LagForecast.LayerForecast> fc =
                    io.github.bndoctor.lint.LagForecast.of(io.github.bndoctor.dl4j.BnNetwork.of(g));
            java.util.Map<String, java.util.List<Double>> late = new java.util.LinkedHashMap<>();
            java.util.Map<String, java.util.List<Double>> lateRho = new java.util.LinkedHashMap<>();
            INDArray x = MonitoredScenario.preciseBatches(c).get(0)[0];
            String[] convs = {"stem_conv", "b1_expand_conv", "b1_project_conv", "b2_expand_conv", "b2_project_conv",
                    "b3_expand_conv", "b3_project_conv"};
            int every = 50;
            double[][] prev = new double[convs.length][];
            java.util.Map<String, java.util.List<Double>> perStep = new java.util.LinkedHashMap<>();
            while (run.iteration() < c.iterations()) {
                for (int i = 0; i < convs.length; i++) {
                    prev[i] = g.getLayer(convs[i]).getParam("W").dup().data().asDouble();
                }
                run.train(1);
                if (run.iteration() > c.iterations() / 2) {
                    for (int i = 0; i < convs.length; i++) {
                        perStep.computeIfAbsent(convs[i], k -> new java.util.ArrayList<>()).add(
                                angle(prev[i], g.getLayer(convs[i]).getParam("W").dup().data().asDouble(), 0, prev[i].length));
                    }
                }
                if (run.iteration() % every != 0) {
                    continue;
                }
                Map<String, INDArray> acts = g.feedForward(new INDArray[] {x}, true, false);
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < convs.length; i++) {
                    INDArray wArr = g.getLayer(convs[i]).getParam("W");
                    double[] w = wArr.dup().data().asDouble();
                    int rows = (int) wArr.size(0);
                    int per = w.length / rows;
                    double whole = angle(prev[i], w, 0, w.length);
                    double[] rowAng = new double[rows];
                    double[] rowNorm = new double[rows];
                    for (int r = 0; r < rows; r++) {
                        rowAng[r] = angle(prev[i], w, r * per, per);
                        double s = 0;
                        for (int k = 0; k < per; k++) {
                            s += w[r * per + k] * w[r * per + k];
                        }
                        rowNorm[r] = Math.sqrt(s);
                    }
                    // radial change: (|w|^2 - |w_prev|^2)/|w|^2
                    double n1 = 0;
                    double n0 = 0;
                    for (int k = 0; k < w.length; k++) {
                        n1 += w[k] * w[k];
                        n0 += prev[i][k] * prev[i][k];
                    }
                    INDArray pre = acts.get(convs[i]);
                    INDArray var = pre.var(false, 0, 2, 3);
                    double[] v = var.data().asDouble();
                    double[] gamma = g.getLayer(convs[i].replace("_conv", "_bn")).getParam("gamma").dup().data().asDouble();
                    double rho2 = 0;
                    for (double vv : v) {
                        rho2 += vv / (vv + cfg.bnEpsilon()) / v.length;
                    }
                    if (run.iteration() >= c.iterations() / 2) {
                        late.computeIfAbsent(convs[i], k -> new java.util.ArrayList<>()).add(whole);
                        lateRho.computeIfAbsent(convs[i], k -> new java.util.ArrayList<>()).add(rho2);
                    }
                    Arrays.sort(v);
                    double[] sorted = rowAng.clone();
                    Arrays.sort(sorted);
                    double[] sn = rowNorm.clone();
                    Arrays.sort(sn);
                    double[] ag = Arrays.stream(gamma).map(Math::abs).sorted().toArray();
                    b.append(String.format(Locale.ROOT,
                            "%n  %-16s rot %.3f rows[min %.3f med %.3f max %.3f] |w| %.4f d|w|2/|w|2 %+.4f rownorm[%.4f %.4f %.4f]"
                                    + " var[%.2e %.2e %.2e] var/(var+eps) min %.3f |gamma|[%.3f %.3f %.3f]",
                            convs[i], whole, sorted[0], sorted[rows / 2], sorted[rows - 1], Math.sqrt(n1), (n1 - n0) / n1,
                            sn[0], sn[rows / 2], sn[rows - 1], v[0], v[v.length / 2], v[v.length - 1],
                            v[0] / (v[0] + cfg.bnEpsilon()), ag[0], ag[ag.length / 2], ag[ag.length - 1]));
                }
                System.out.println("it=" + run.iteration() + b);
            }
            for (io.github.bndoctor.lint.LagForecast.LayerForecast f : fc) {
                String conv = f.layer().replace("_bn", "_conv");
                if (late.containsKey(conv)) {
                    double m = io.github.bndoctor.stats.Median.of(late.get(conv).stream().mapToDouble(d -> d).toArray());
                    double r = io.github.bndoctor.stats.Median.of(lateRho.get(conv).stream().mapToDouble(d -> d).toArray());
                    double all = io.github.bndoctor.stats.Median.of(perStep.get(conv).stream().mapToDouble(d -> d).toArray());
                    double mean = Math.sqrt(perStep.get(conv).stream().mapToDouble(d -> d * d).average().orElse(Double.NaN));
                    System.out.printf(Locale.ROOT, "SUMMARY %-16s forecast %.3f checkpoints %.3f (%.2f) every step median %.3f"
                            + " (%.2f) root mean square %.3f (%.2f) mean var/(var+eps) %.3f%n", f.layer(), f.rotationDegPerStep(), m,
                            f.rotationDegPerStep() / m, all, f.rotationDegPerStep() / all, mean,
                            f.rotationDegPerStep() / mean, r);
                }
            }
        }
    }

    private static double angle(double[] a, double[] b, int from, int n) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = from; i < from + n; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return Math.toDegrees(Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)))));
    }
}
