package io.github.bndoctor.scenario;

import io.github.bndoctor.testkit.RecordWriter;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.lint.LagForecast;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.stats.Median;
import org.deeplearning4j.optimize.api.TrainingListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Calibration driver for the adaptive decay and the lag forecast (not a test; run with {@code java}
 * on the test classpath, {@code OMP_NUM_THREADS=1} and the native speed settings of
 * {@code backend.NativeSpeedSettings}).
 *
 * <p>Usage: {@code AdaptiveDecayCalibration JOB...}, each job
 * {@code NAME,SEED,ITERATIONS,EVERY,BUDGET,FLOOR[,key=value...]} on the seed configuration, BUDGET 0
 * for no listener, overrides as {@code ScenarioCalibration} ({@code opt=, lr=, l2=, wd=, decay=,
 * init=, mean=}). Jobs run two at a time (the regression leg's pace). Prints one line per checkpoint,
 * prefixed by the job's name: eval/train, eval/precise, precise/train, median and lowest decay in
 * force, median rotation, then per layer measured/forecast rotation in degrees per step.
 */
final class AdaptiveDecayCalibration {
    private AdaptiveDecayCalibration() {
    }

    public static void main(String[] args) throws Exception {
        // the calibration ran with DL4J's oneDNN layer helpers (an explicit opt-in since ScenarioRun sets none)
        io.github.bndoctor.backend.NativeSpeedSettings.allowLayerHelpers();
        try (RecordWriter.Section record = RecordWriter.section("AdaptiveDecayCalibration " + String.join(" ", args))) {
            List<java.util.concurrent.Callable<Object>> jobs = new ArrayList<>();
            for (String job : args) {
                jobs.add(() -> {
                    run(job.split(","));
                    return null;
                });
            }
            ParallelRuns.all(jobs, 2, 1);
        }
    }

    private static void run(String[] a) {
        String name = a[0];
        long seed = Long.parseLong(a[1]);
        int iterations = Integer.parseInt(a[2]);
        int every = Integer.parseInt(a[3]);
        double budget = Double.parseDouble(a[4]);
        double floor = Double.parseDouble(a[5]);
        ScenarioConfig c = ScenarioConfig.seedDivergence().toBuilder().seed(seed).iterations(iterations).build();
        int adaptEvery = AdaptiveDecay.DEFAULT_EVERY;
        boolean upstream = false;
        int snapEvery = io.github.bndoctor.probe.WeightSnapshotRing.DEFAULT_EVERY;
        for (int i = 6; i < a.length; i++) {
            if (a[i].startsWith("adapt=")) {
                adaptEvery = Integer.parseInt(a[i].substring(6));
            } else if (a[i].startsWith("preset=")) {
                c = ScenarioCalibration.preset(a[i].substring(7)).toBuilder().seed(seed).iterations(iterations).build();
            } else if (a[i].equals("upstream")) {
                upstream = true;
            } else if (a[i].startsWith("snap=")) {
                snapEvery = Integer.parseInt(a[i].substring(5));
            } else {
                c = ScenarioCalibration.override(c, a[i]);
            }
        }
        List<LagForecast.LayerForecast> forecast = LagForecast.of(BnNetwork.of(MobileNetV2Like.build(c)));
        synchronized (System.out) {
            System.out.println(name + " " + c);
            System.out.print(LagForecast.table(forecast).replaceAll("(?m)^", name + " "));
        }
        List<TrainingListener> listeners = budget > 0
                ? List.of(AdaptiveDecay.builder().budgetDegrees(budget).minDecay(floor).every(adaptEvery).snapshotEvery(snapEvery).followUpstream(upstream).build()) : List.of();
        long t0 = System.nanoTime();
        MonitoredScenario.run(c, every, cp -> print(name, cp, forecast), listeners);
        System.out.printf(Locale.ROOT, "%s seconds %.1f%n", name, (System.nanoTime() - t0) / 1e9);
    }

    private static void print(String name, Checkpoint cp, List<LagForecast.LayerForecast> forecast) {
        double[] decays = cp.layers().stream().mapToDouble(LayerCheckpoint::decay).toArray();
        double[] rot = cp.layers().stream().mapToDouble(LayerCheckpoint::rotationDegPerIter).toArray();
        StringBuilder perLayer = new StringBuilder();
        for (int i = 0; i < cp.layers().size(); i++) {
            LagForecast.LayerForecast f = forecast.get(i);
            perLayer.append(String.format(Locale.ROOT, " %.3f/%s", rot[i],
                    f.regime() == LagForecast.Regime.EQUILIBRIUM
                            ? String.format(Locale.ROOT, "%.3f", f.rotationDegPerStep()) : "-"));
        }
        System.out.printf(Locale.ROOT,
                "%s it=%d ev/tr=%.3f ev/pr=%.3f pr/tr=%.3f decay med=%.4f min=%.4f rot med=%.4f |%s%n", name,
                cp.iteration(), cp.gap().evalToTrainRatio(), cp.gap().evalModeLoss() / cp.gap().preciseLoss(),
                cp.gap().preciseToTrainRatio(), Median.of(decays), Arrays.stream(decays).min().orElse(Double.NaN),
                Median.of(rot), perLayer);
        System.out.flush();
    }
}
