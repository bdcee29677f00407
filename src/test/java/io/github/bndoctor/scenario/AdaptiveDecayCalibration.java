package io.github.bndoctor.scenario;

import io.github.bndoctor.lint.LagForecast;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.stats.Median;
import org.deeplearning4j.optimize.api.TrainingListener;

import java.util.List;
import java.util.Locale;

/**
 * Calibration driver for the adaptive decay and the lag forecast (not a test; run with {@code java}
 * on the test classpath, {@code OMP_NUM_THREADS=1}).
 *
 * <p>Usage: {@code AdaptiveDecayCalibration SEED ITERATIONS EVERY BUDGET key=value...} with
 * BUDGET 0 for no listener and overrides {@code opt=, lr=, l2=, wd=, decay=, init=}. Prints one line
 * per checkpoint: eval/train, eval/precise, median decay in force, median rotation.
 */
final class AdaptiveDecayCalibration {
    private AdaptiveDecayCalibration() {
    }

    public static void main(String[] args) {
        long seed = Long.parseLong(args[0]);
        int iterations = Integer.parseInt(args[1]);
        int every = Integer.parseInt(args[2]);
        double budget = Double.parseDouble(args[3]);
        ScenarioConfig c = ScenarioConfig.seedDivergence().toBuilder().seed(seed).iterations(iterations).build();
        for (int i = 4; i < args.length; i++) {
            c = ScenarioCalibration.override(c, args[i]);
        }
        System.out.println(c);
        List<LagForecast.LayerForecast> forecast = LagForecast.of(BnNetwork.of(MobileNetV2Like.build(c)));
        System.out.print(LagForecast.table(forecast));
        List<TrainingListener> listeners = budget > 0 ? List.of(AdaptiveDecay.builder().budgetDegrees(budget).build())
                : List.of();
        long t0 = System.nanoTime();
        MonitoredScenario.run(c, every, cp -> print(cp, forecast), listeners);
        System.out.printf(Locale.ROOT, "seconds %.1f%n", (System.nanoTime() - t0) / 1e9);
    }

    private static void print(Checkpoint cp, List<LagForecast.LayerForecast> forecast) {
        {
            double[] decays = cp.layers().stream().mapToDouble(LayerCheckpoint::decay).toArray();
            double[] rot = cp.layers().stream().mapToDouble(LayerCheckpoint::rotationDegPerIter).toArray();
            StringBuilder perLayer = new StringBuilder();
            for (int i = 0; i < cp.layers().size(); i++) {
                LagForecast.LayerForecast f = forecast.get(i);
                perLayer.append(String.format(Locale.ROOT, " %.3f/%s", rot[i],
                        f.regime() == LagForecast.Regime.EQUILIBRIUM ? String.format(Locale.ROOT, "%.3f",
                                f.rotationDegPerStep()) : "-"));
            }
            System.out.printf(Locale.ROOT, "it=%d ev/tr=%.3f ev/pr=%.3f pr/tr=%.3f decay med=%.4f min=%.4f rot med=%.4f |%s%n",
                    cp.iteration(), cp.gap().evalToTrainRatio(), cp.gap().evalModeLoss() / cp.gap().preciseLoss(),
                    cp.gap().preciseToTrainRatio(), Median.of(decays),
                    java.util.Arrays.stream(decays).min().orElse(Double.NaN), Median.of(rot), perLayer);
            System.out.flush();
        }
    }
}
