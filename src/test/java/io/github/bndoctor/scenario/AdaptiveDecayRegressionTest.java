package io.github.bndoctor.scenario;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.lint.LagForecast;
import io.github.bndoctor.lint.LagForecast.LayerForecast;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.stats.Median;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Adaptive decay on the seed scenario (3 seeds, {@link ScenarioConfig#seedDivergence()}'s 800
 * iterations, which keeps the leg within the CI budget; fixed 0.997 passes 5 by iteration 500) and
 * the lag forecast against measured rotation. Thresholds (measured with the fast native settings,
 * fixtures/scenario-calibration.md, "Adaptive decay"):
 * <ul>
 *   <li>{@link #ADAPTIVE_RATIO} 1.3 and {@link #DIVERGED_RATIO} 5: with the decay adapted, the
 *       seed configuration's eval/train ratio stays at or below 1.3 after warm-up at every checkpoint,
 *       while the same training with the fixed 0.997 reaches 5;</li>
 *   <li>{@link #PRECISE_RATIO} 1.3: eval/precise with adaptive decay on the seed configuration. The
 *       batch-noise floor (fixed decays 0.9 / 0.99 on the healthy Nesterov preset, seed 2) is at most
 *       1.020 / 1.028, but 1.1 is below what any decay at or above the floor 0.9 gives on the seed
 *       configuration: in seed 2's rotation burst at iteration 400 decays held at 0.90-0.92 (budget 0.5
 *       degree) still gave 1.17, lag the floor itself cannot follow, so it is bounded like eval/train
 *       (even the healthy Nesterov runs at decays 0.9945-0.997 reach 1.17 on seed 1, printed);</li>
 *   <li>{@link #HEALTHY_DECAY} 0.99: on the healthy Nesterov preset the median decay over layers and
 *       checkpoints stays near the configured 0.997;</li>
 *   <li>{@link #FORECAST_FACTOR} 2: forecast against measured rotation per step after equilibrium,
 *       per layer, printed side by side.</li>
 * </ul>
 * Runs train two at a time (single-threaded ND4J each).
 */
@Tag("adaptive")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdaptiveDecayRegressionTest {
    static final long[] SEEDS = {1, 2, 3};
    static final long WARMUP = SeedScenarioRegressionTest.WARMUP;
    static final int PROBE_EVERY = 100;
    static final double ADAPTIVE_RATIO = 1.3;
    static final double DIVERGED_RATIO = 5;
    static final double PRECISE_RATIO = 1.3;
    static final double HEALTHY_DECAY = 0.99;
    static final double FORECAST_FACTOR = 2;
    /** Forecast presets train this long with checkpoints every {@link #FORECAST_EVERY}. */
    static final int FORECAST_EVERY = 50;

    private final Map<String, MonitoredScenario.Result> runs = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, AdaptiveDecay> listeners = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeAll
    void trainAll() throws Exception {
        Map<String, Runnable> jobs = new LinkedHashMap<>();
        for (long seed : SEEDS) {
            ScenarioConfig seedConfig = ScenarioConfig.seedDivergence().withSeed(seed);
            jobs.put("fixed#" + seed, () -> train("fixed#" + seed, seedConfig, PROBE_EVERY, false));
            jobs.put("adaptive#" + seed, () -> train("adaptive#" + seed, seedConfig, PROBE_EVERY, true));
            jobs.put("nesterov#" + seed, () -> train("nesterov#" + seed, ScenarioConfig.nesterov().withSeed(seed),
                    PROBE_EVERY, true));
        }
        jobs.put("forecast-sgd", () -> train("forecast-sgd", ScenarioConfig.nesterovL2Equilibrium(), FORECAST_EVERY,
                false));
        jobs.put("forecast-adamw", () -> train("forecast-adamw", ScenarioConfig.adamWeightDecayEquilibrium(),
                FORECAST_EVERY, false));
        ParallelRuns.all(jobs.values().stream().map(j -> (java.util.concurrent.Callable<Object>) () -> {
            j.run();
            return null;
        }).toList(), 2, 1);
    }

    private void train(String name, ScenarioConfig config, int every, boolean adaptive) {
        List<TrainingListener> extra = new ArrayList<>();
        if (adaptive) {
            AdaptiveDecay a = AdaptiveDecay.builder().build();
            listeners.put(name, a);
            extra.add(a);
        }
        runs.put(name, MonitoredScenario.run(config, every, c -> { }, extra));
    }

    private static List<Checkpoint> afterWarmup(MonitoredScenario.Result r) {
        return r.checkpoints().stream().filter(c -> c.iteration() >= WARMUP).toList();
    }

    @Test
    void adaptiveDecayKeepsTheSeedConfigurationHealthyWhereTheFixedDecayCollapses() {
        for (long seed : SEEDS) {
            MonitoredScenario.Result fixed = runs.get("fixed#" + seed);
            MonitoredScenario.Result adaptive = runs.get("adaptive#" + seed);
            System.out.printf(Locale.ROOT, "seed %d: iteration, eval/train fixed 0.997 | adaptive, eval/precise adaptive,"
                    + " median decay adaptive%n", seed);
            for (int i = 0; i < adaptive.checkpoints().size(); i++) {
                Checkpoint f = fixed.checkpoints().get(i);
                Checkpoint a = adaptive.checkpoints().get(i);
                System.out.printf(Locale.ROOT, "  %4d  %6.3f | %6.3f  %6.3f  %.4f%n", a.iteration(),
                        f.gap().evalToTrainRatio(), a.gap().evalToTrainRatio(),
                        a.gap().evalModeLoss() / a.gap().preciseLoss(), medianDecay(List.of(a)));
            }
            assertThat(fixed.worstRatioAfter(WARMUP)).as("seed %d: fixed 0.997 collapses", seed)
                    .isGreaterThanOrEqualTo(DIVERGED_RATIO);
            for (Checkpoint a : afterWarmup(adaptive)) {
                assertThat(a.gap().evalToTrainRatio()).as("seed %d iteration %d eval/train with adaptive decay", seed,
                        a.iteration()).isLessThanOrEqualTo(ADAPTIVE_RATIO);
            }
        }
    }

    @Test
    void noiseIsNotTradedForLag() {
        for (long seed : SEEDS) {
            for (Checkpoint a : runs.get("adaptive#" + seed).checkpoints()) {
                assertThat(a.gap().evalModeLoss() / a.gap().preciseLoss())
                        .as("seed %d iteration %d eval/precise with adaptive decay", seed, a.iteration())
                        .isLessThanOrEqualTo(PRECISE_RATIO);
            }
            System.out.printf(Locale.ROOT, "nesterov seed %d: eval/precise with adaptive decay %s%n", seed,
                    runs.get("nesterov#" + seed).checkpoints().stream().map(c -> String.format(Locale.ROOT, "%.3f",
                            c.gap().evalModeLoss() / c.gap().preciseLoss())).toList());
        }
    }

    @Test
    void aHealthyConfigurationKeepsItsDecay() {
        for (long seed : SEEDS) {
            MonitoredScenario.Result r = runs.get("nesterov#" + seed);
            double median = medianDecay(r.checkpoints());
            System.out.printf(Locale.ROOT, "nesterov seed %d: median adaptive decay %.4f, lowest %.4f%n", seed, median,
                    r.checkpoints().stream().flatMap(c -> c.layers().stream()).mapToDouble(LayerCheckpoint::decay)
                            .min().orElse(Double.NaN));
            assertThat(median).as("nesterov seed %d median decay", seed).isGreaterThanOrEqualTo(HEALTHY_DECAY);
        }
    }

    /** The decay only moves the moving statistics: training-mode probe losses are bit-identical. */
    @Test
    void trainingIsUntouched() {
        for (long seed : SEEDS) {
            List<Double> fixed = runs.get("fixed#" + seed).checkpoints().stream()
                    .map(c -> c.gap().trainModeLoss()).toList();
            List<Double> adaptive = runs.get("adaptive#" + seed).checkpoints().stream()
                    .map(c -> c.gap().trainModeLoss()).toList();
            assertThat(adaptive).as("seed %d training-mode losses", seed).isEqualTo(fixed);
            assertThat(listeners.get("adaptive#" + seed).history()).as("seed %d: decays were adapted", seed)
                    .anyMatch(h -> h.decays().values().stream().anyMatch(d -> d < 0.997));
        }
    }

    /**
     * Per BN layer whose feeding weights have an equilibrium: the forecast rotation per step next to
     * the median measured one over the checkpoints after the forecast equilibrium iteration and in
     * the second half of the run.
     */
    @Test
    void forecastMatchesTheMeasuredRotationAfterEquilibrium() {
        Map<String, Double> ratios = new LinkedHashMap<>();
        for (String name : List.of("forecast-sgd", "forecast-adamw")) {
            MonitoredScenario.Result r = runs.get(name);
            List<LayerForecast> forecast = LagForecast.of(BnNetwork.of(MobileNetV2Like.build(r.config())));
            System.out.printf(Locale.ROOT, "%s (%s): layer, forecast deg/step, measured deg/step (median after"
                    + " equilibrium), ratio%n", name, r.config());
            int compared = 0;
            for (int i = 0; i < forecast.size(); i++) {
                LayerForecast f = forecast.get(i);
                if (f.regime() != LagForecast.Regime.EQUILIBRIUM) {
                    continue;
                }
                int layer = i;
                // the forecast time assumes a start near the equilibrium norm; the initial weights are further
                // off, so only the second half of the run counts as "after equilibrium" as well
                double from = Math.max(f.equilibriumIterations(), r.config().iterations() / 2.0);
                double[] measured = r.checkpoints().stream().filter(c -> c.iteration() >= from)
                        .mapToDouble(c -> c.layers().get(layer).rotationDegPerIter()).filter(Double::isFinite)
                        .toArray();
                assertThat(measured).as("%s %s: checkpoints after iteration %.0f", name, f.layer(), from)
                        .hasSizeGreaterThanOrEqualTo(3);
                double m = Median.of(measured);
                System.out.printf(Locale.ROOT, "  %-16s %8.4f %8.4f %6.2f%n", f.layer(), f.rotationDegPerStep(), m,
                        f.rotationDegPerStep() / m);
                ratios.put(name + " " + f.layer(), f.rotationDegPerStep() / m);
                compared++;
            }
            assertThat(compared).as("%s: layers compared", name).isPositive();
        }
        ratios.forEach((layer, ratio) -> assertThat(ratio).as("%s forecast / measured", layer)
                .isBetween(1 / FORECAST_FACTOR, FORECAST_FACTOR));
    }

    private static double medianDecay(List<Checkpoint> checkpoints) {
        return Median.of(checkpoints.stream().flatMap(c -> c.layers().stream()).mapToDouble(LayerCheckpoint::decay)
                .toArray());
    }
}
