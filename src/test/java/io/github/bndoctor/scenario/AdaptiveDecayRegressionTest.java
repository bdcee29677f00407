package io.github.bndoctor.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.lint.LagForecast;
import io.github.bndoctor.lint.LagForecast.LayerForecast;
import io.github.bndoctor.lint.ScaleInvariance;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.stats.Median;
import io.github.bndoctor.probe.RotationTracker;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Adaptive decay on the seed scenario at its full length ({@link ScenarioConfig#seedCollapse()}, 3
 * seeds), on the healthy Nesterov preset and on the further scenarios' diverging configurations, and
 * the lag forecast against measured rotation. Thresholds (measured with the fast native settings,
 * fixtures/scenario-calibration.md, "Adaptive decay: the floor"):
 * <ul>
 *   <li>{@link #ADAPTIVE_RATIO} 1.3 and {@link #DIVERGED_RATIO} 5: with the decay adapted, the seed
 *       configuration's eval/train ratio stays at or below 1.3 after warm-up at every checkpoint to
 *       iteration 1,500 (measured at most 1.20; 1.13 on held-out seeds 4-6); the fixed 0.997 (the regression leg's
 *       {@code seedCollapse} baseline, the same training) reaches 5 by iteration 500;</li>
 *   <li>{@link #PRECISE_RATIO} 1.25 for eval/precise: a bound of 1.1 is below what any EMA reaches
 *       here. Late in the run the weights turn up to 0.6 degree per step in bursts, so long windows
 *       lag, while the floor's short window carries batch noise (the same batches recomputed at the
 *       current weights: up to 1.09, and 1.32 where one odd batch falls in it, seed 2 at 1,000); the
 *       floor decay 0.5 held fixed in every layer (the comparison run) reaches 1.12 / 1.37 / 1.12;
 *       adaptive decay measured at most 1.19 (seed 3 at 1,500; 1.15 on seeds
 *       4-6);</li>
 *   <li>{@link #HEALTHY_DECAY} 0.99: on the healthy Nesterov preset the median decay over layers and
 *       checkpoints stays near the configured 0.997 (measured 0.9907 / 0.9922 / 0.9924);</li>
 *   <li>{@link #FORECAST_FACTOR} 2: forecast against measured rotation per step after equilibrium,
 *       per layer, printed side by side, on presets whose BN inputs stay scale-invariant
 *       ({@link ScaleInvariance} at least {@link #SCALE_INVARIANT}, checked), the premise of the
 *       forecast.</li>
 * </ul>
 * Runs train two at a time (single-threaded ND4J each), longest first.
 */
@Tag("adaptive")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdaptiveDecayRegressionTest {
    static final long[] SEEDS = {1, 2, 3};
    static final long WARMUP = SeedScenarioRegressionTest.WARMUP;
    static final int PROBE_EVERY = 100;
    static final double ADAPTIVE_RATIO = 1.3;
    static final double DIVERGED_RATIO = 5;
    static final double PRECISE_RATIO = 1.25;
    static final double HEALTHY_DECAY = 0.99;
    static final double FORECAST_FACTOR = 2;
    /** v/(v+eps) of a BN input the forecast covers: the batch variance at least 9 times eps. */
    static final double SCALE_INVARIANT = 0.9;
    /** Further scenarios from {@link #FURTHER_WARMUP}: measured at most 1.26 (ResNet seed 1). */
    static final double FURTHER_RATIO = 1.5;
    static final long FURTHER_WARMUP = 100;
    static final File BASELINE = SeedScenarioRegressionTest.BASELINE;

    private final Map<String, MonitoredScenario.Result> runs = new ConcurrentHashMap<>();
    private final Map<String, AdaptiveDecay> listeners = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Double>> invariance = new ConcurrentHashMap<>();
    private final Map<String, StepRotation> rotations = new ConcurrentHashMap<>();
    private final Map<String, ScenarioConfig> configs = new ConcurrentHashMap<>();

    @BeforeAll
    void trainAll() {
        Map<String, Callable<Object>> jobs = new LinkedHashMap<>();
        for (long seed : SEEDS) {
            jobs.put("adaptive#" + seed, job("adaptive#" + seed, ScenarioConfig.seedCollapse().withSeed(seed),
                    PROBE_EVERY, true));
        }
        for (long seed : SEEDS) {
            jobs.put("floor#" + seed, job("floor#" + seed, ScenarioConfig.seedCollapse().toBuilder().seed(seed)
                    .bnDecay(AdaptiveDecay.DEFAULT_MIN_DECAY).build(), PROBE_EVERY, false));
        }
        for (long seed : SEEDS) {
            jobs.put("nesterov#" + seed, job("nesterov#" + seed, ScenarioConfig.nesterov().withSeed(seed),
                    PROBE_EVERY, true));
        }
        jobs.put("forecast-sgd", forecastJob("forecast-sgd", ScenarioConfig.nesterovL2Equilibrium()));
        jobs.put("forecast-adamw", forecastJob("forecast-adamw", ScenarioConfig.adamWeightDecayEquilibrium()));
        for (ScenarioKind kind : List.of(ScenarioKind.POSE_RESNET, ScenarioKind.DENSE_REGRESSION)) {
            for (long seed : SEEDS) {
                ScenarioConfig c = kind.diverging().withSeed(seed);
                jobs.put(kind + "-adaptive#" + seed, job(kind + "-adaptive#" + seed, c, c.checkpointEvery(), true));
                if (kind == ScenarioKind.DENSE_REGRESSION) {
                    jobs.put(kind + "-fixed#" + seed, job(kind + "-fixed#" + seed, c, c.checkpointEvery(), false));
                }
            }
        }
        long t0 = System.nanoTime();
        ParallelRuns.all(new ArrayList<>(jobs.values()), 2, 1);
        System.out.printf(Locale.ROOT, "adaptive leg: %d runs trained in %.1f s%n", jobs.size(),
                (System.nanoTime() - t0) / 1e9);
    }

    private Callable<Object> job(String name, ScenarioConfig config, int every, boolean adaptive) {
        return () -> {
            List<TrainingListener> extra = new ArrayList<>();
            if (adaptive) {
                AdaptiveDecay a = AdaptiveDecay.builder().build();
                listeners.put(name, a);
                extra.add(a);
            }
            runs.put(name, MonitoredScenario.run(config, every, c -> { }, extra));
            return null;
        };
    }

    /** An equilibrium preset trained without probes, its one-step rotations recorded over the second half. */
    private Callable<Object> forecastJob(String name, ScenarioConfig config) {
        return () -> {
            ScenarioRun run = ScenarioRun.start(config);
            StepRotation rotation = new StepRotation(config.iterations() / 2);
            run.graph().addListeners(rotation);
            run.train(config.iterations());
            run.graph().setListeners();
            rotations.put(name, rotation);
            configs.put(name, config);
            invariance.put(name, ScaleInvariance.of(BnNetwork.of(run.graph()),
                    MonitoredScenario.preciseBatches(config).get(0)));
            return null;
        };
    }

    /**
     * The one-step rotation of each BN layer's feeding weights (either network type) ({@link RotationTracker}) at every
     * iteration from {@code from} on: the median of hundreds of steps, where checkpoints every 50
     * iterations gave 6-7 samples whose median moved by up to 1.7x between runs.
     */
    static final class StepRotation extends BaseTrainingListener {
        private final int from;
        private BnNetwork net;
        private RotationTracker tracker;
        /** BN layer to (iteration, degrees) of each step from {@code from} on. */
        final Map<String, Map<Integer, Double>> steps = new LinkedHashMap<>();

        StepRotation(int from) {
            this.from = from;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            int done = iteration + 1;
            if (done < from) {
                return;
            }
            if (net == null) {
                net = BnNetwork.of(model);
                tracker = new RotationTracker(net);
            }
            tracker.update(net, done).forEach((layer, deg) -> {
                if (Double.isFinite(deg)) {
                    steps.computeIfAbsent(layer, k -> new TreeMap<>()).put(done, deg);
                }
            });
        }

        /**
         * @param layer a BN layer
         * @return the root mean square of its recorded one-step angles, degrees (NaN if none)
         */
        double rms(String layer) {
            return Math.sqrt(steps.getOrDefault(layer, Map.of()).values().stream().mapToDouble(d -> d * d).average()
                    .orElse(Double.NaN));
        }
    }

    private static List<Checkpoint> afterWarmup(MonitoredScenario.Result r, long warmup) {
        return r.checkpoints().stream().filter(c -> c.iteration() >= warmup).toList();
    }

    private static double evalToPrecise(Checkpoint c) {
        return c.gap().evalModeLoss() / c.gap().preciseLoss();
    }

    /**
     * The regression leg's stored {@code seedCollapse} run (fixed 0.997, the same training): iteration
     * to {trainModeLoss, evalModeLoss, preciseLoss}.
     */
    private static Map<Long, double[]> baseline(long seed) {
        Map<Long, double[]> out = new TreeMap<>();
        try {
            JsonNode rows = new ObjectMapper().readTree(BASELINE).path("runs").path("seedCollapse#" + seed);
            for (JsonNode row : rows) {
                out.put(row.get(0).asLong(), new double[] {row.get(1).asDouble(), row.get(2).asDouble(),
                        row.get(3).asDouble()});
            }
        } catch (IOException e) {
            throw new IllegalStateException("regression baseline unreadable: " + BASELINE, e);
        }
        return out;
    }

    @Test
    void adaptiveDecayKeepsTheSeedConfigurationHealthyWhereTheFixedDecayCollapses() {
        for (long seed : SEEDS) {
            MonitoredScenario.Result floor = runs.get("floor#" + seed);
            MonitoredScenario.Result adaptive = runs.get("adaptive#" + seed);
            Map<Long, double[]> fixed = baseline(seed);
            System.out.printf(Locale.ROOT, "seed %d: iteration, eval/train fixed 0.997 (regression baseline) | fixed"
                    + " 0.5 (the floor) | adaptive; eval/precise fixed 0.5 | adaptive; median and lowest adaptive decay%n", seed);
            for (int i = 0; i < adaptive.checkpoints().size(); i++) {
                Checkpoint a = adaptive.checkpoints().get(i);
                Checkpoint f = floor.checkpoints().get(i);
                double[] b = fixed.get(a.iteration());
                System.out.printf(Locale.ROOT, "  %4d  %7.3f | %6.3f | %6.3f;  %6.3f | %6.3f;  %.4f %.4f%s%n",
                        a.iteration(), b == null ? Double.NaN : b[1] / b[0], f.gap().evalToTrainRatio(),
                        a.gap().evalToTrainRatio(), evalToPrecise(f), evalToPrecise(a), medianDecay(List.of(a)),
                        lowestDecay(List.of(a)), b != null && b[0] == a.gap().trainModeLoss()
                                ? "" : "  (training-mode loss differs from the baseline's)");
            }
        }
        for (long seed : SEEDS) {
            MonitoredScenario.Result adaptive = runs.get("adaptive#" + seed);
            assertThat(adaptive.checkpoints().get(adaptive.checkpoints().size() - 1).iteration())
                    .as("seed %d: the full scenario length", seed).isEqualTo(ScenarioConfig.COLLAPSE_ITERATIONS);
            assertThat(baseline(seed).entrySet().stream().filter(e -> e.getKey() >= WARMUP)
                    .mapToDouble(e -> e.getValue()[1] / e.getValue()[0]).max().orElse(Double.NaN))
                    .as("seed %d: fixed 0.997 collapses (regression baseline)", seed)
                    .isGreaterThanOrEqualTo(DIVERGED_RATIO);
            for (int i = 0; i < adaptive.checkpoints().size(); i++) {
                Checkpoint a = adaptive.checkpoints().get(i);
                if (a.iteration() >= WARMUP) {
                    assertThat(a.gap().evalToTrainRatio()).as("seed %d iteration %d eval/train with adaptive decay",
                            seed, a.iteration()).isLessThanOrEqualTo(ADAPTIVE_RATIO);
                }
            }
        }
    }

    @Test
    void noiseIsNotTradedForLag() {
        for (long seed : SEEDS) {
            List<Checkpoint> adaptive = runs.get("adaptive#" + seed).checkpoints();
            for (int i = 0; i < adaptive.size(); i++) {
                Checkpoint a = adaptive.get(i);
                assertThat(evalToPrecise(a)).as("seed %d iteration %d eval/precise with adaptive decay", seed,
                        a.iteration()).isLessThanOrEqualTo(PRECISE_RATIO);
            }
            System.out.printf(Locale.ROOT, "nesterov seed %d: eval/precise with adaptive decay %s%n", seed,
                    runs.get("nesterov#" + seed).checkpoints().stream().map(c -> String.format(Locale.ROOT, "%.3f",
                            evalToPrecise(c))).toList());
        }
    }

    /**
     * The decay only moves the moving statistics: training-mode probe losses are bit-identical to a
     * run with another decay (the fixed floor decay; the dense MLP's fixed 0.997).
     */
    @Test
    void trainingIsUntouched() {
        Map<String, String> pairs = new LinkedHashMap<>();
        for (long seed : SEEDS) {
            pairs.put("adaptive#" + seed, "floor#" + seed);
            pairs.put(ScenarioKind.DENSE_REGRESSION + "-adaptive#" + seed, ScenarioKind.DENSE_REGRESSION + "-fixed#" + seed);
        }
        pairs.forEach((adaptiveName, fixedName) -> {
            List<Double> fixed = runs.get(fixedName).checkpoints().stream().map(c -> c.gap().trainModeLoss()).toList();
            List<Double> adaptive = runs.get(adaptiveName).checkpoints().stream().map(c -> c.gap().trainModeLoss())
                    .toList();
            assertThat(adaptive).as("%s training-mode losses", adaptiveName).hasSizeGreaterThanOrEqualTo(3).isEqualTo(fixed);
            assertThat(listeners.get(adaptiveName).history()).as("%s: decays were adapted", adaptiveName)
                    .anyMatch(h -> h.decays().values().stream().anyMatch(d -> d < 0.997));
        });
    }

    @Test
    void aHealthyConfigurationKeepsItsDecay() {
        for (long seed : SEEDS) {
            MonitoredScenario.Result r = runs.get("nesterov#" + seed);
            double median = medianDecay(r.checkpoints());
            System.out.printf(Locale.ROOT, "nesterov seed %d: median adaptive decay %.4f, lowest %.4f%n", seed, median,
                    lowestDecay(r.checkpoints()));
            assertThat(median).as("nesterov seed %d median decay", seed).isGreaterThanOrEqualTo(HEALTHY_DECAY);
        }
    }

    /**
     * The further scenarios' diverging configurations with adaptive decay (their fixed 0.997 is the
     * regression leg's {@code FurtherScenariosRegressionTest}: eval/train 13.0-16.4 for the ResNet at
     * 400, 2.5-17.4 for the MLP over 50-150; the MLP's fixed runs are repeated here, side by side).
     * The MLP's first checkpoint after iteration 0 comes before the first adaptation can act on a
     * whole window, so the bound applies from {@link #FURTHER_WARMUP} on.
     */
    @Test
    void adaptiveDecayOnTheFurtherScenarios() {
        for (ScenarioKind kind : List.of(ScenarioKind.POSE_RESNET, ScenarioKind.DENSE_REGRESSION)) {
            for (long seed : SEEDS) {
                MonitoredScenario.Result fixed = runs.get(kind + "-fixed#" + seed);
                MonitoredScenario.Result adaptive = runs.get(kind + "-adaptive#" + seed);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                        "%s seed %d: iteration eval/train [fixed 0.997 |] adaptive, eval/precise adaptive, median decay:",
                        kind, seed));
                for (int i = 0; i < adaptive.checkpoints().size(); i++) {
                    Checkpoint a = adaptive.checkpoints().get(i);
                    line.append(String.format(Locale.ROOT, " %d: %s%.2f %.3f %.3f;", a.iteration(), fixed == null ? ""
                            : String.format(Locale.ROOT, "%.2f | ", fixed.checkpoints().get(i).gap().evalToTrainRatio()),
                            a.gap().evalToTrainRatio(), evalToPrecise(a), medianDecay(List.of(a))));
                }
                System.out.println(line);
            }
        }
        for (ScenarioKind kind : List.of(ScenarioKind.POSE_RESNET, ScenarioKind.DENSE_REGRESSION)) {
            for (long seed : SEEDS) {
                for (Checkpoint a : afterWarmup(runs.get(kind + "-adaptive#" + seed), FURTHER_WARMUP)) {
                    assertThat(a.gap().evalToTrainRatio()).as("%s seed %d iteration %d eval/train with adaptive decay",
                            kind, seed, a.iteration()).isLessThanOrEqualTo(FURTHER_RATIO);
                }
            }
        }
    }

    /**
     * Per BN layer whose feeding weights have an equilibrium: the forecast rotation per step next to
     * the median measured one over the checkpoints after the forecast equilibrium iteration and in
     * the second half of the run, and the layer's scale invariance at the end of the run.
     */
    @Test
    void forecastMatchesTheMeasuredRotationAfterEquilibrium() {
        Map<String, Double> ratios = new LinkedHashMap<>();
        Map<String, Double> shares = new LinkedHashMap<>();
        for (String name : List.of("forecast-sgd", "forecast-adamw")) {
            ScenarioConfig config = configs.get(name);
            List<LayerForecast> forecast = LagForecast.of(BnNetwork.of(MobileNetV2Like.build(config)));
            System.out.printf(Locale.ROOT, "%s (%s): layer, forecast deg/step, measured deg/step (root mean square of every"
                    + " step after equilibrium), forecast/measured, v/(v+eps) at the end%n", name, config);
            int compared = 0;
            for (int i = 0; i < forecast.size(); i++) {
                LayerForecast f = forecast.get(i);
                if (f.regime() != LagForecast.Regime.EQUILIBRIUM) {
                    continue;
                }
                // the forecast time assumes a start near the equilibrium norm; the initial weights are further
                // off, so only the second half of the run counts as "after equilibrium" as well
                double from = Math.max(f.equilibriumIterations(), config.iterations() / 2.0);
                double[] measured = rotations.get(name).steps.getOrDefault(f.layer(), Map.of()).entrySet().stream()
                        .filter(e -> e.getKey() > from).mapToDouble(Map.Entry::getValue).toArray();
                assertThat(measured).as("%s %s: steps after iteration %.0f", name, f.layer(), from)
                        .hasSizeGreaterThanOrEqualTo(config.iterations() / 4);
                // the equilibrium balances the expected squared step against the shrink: its rotation is the
                // root mean square of the one-step angles (a skewed distribution: median < mean < RMS)
                double m = Math.sqrt(java.util.Arrays.stream(measured).map(x -> x * x).average().orElse(Double.NaN));
                double share = invariance.get(name).get(f.layer());
                System.out.printf(Locale.ROOT, "  %-16s %8.4f %8.4f %6.2f %6.3f   (median %.4f)%n", f.layer(),
                        f.rotationDegPerStep(), m, f.rotationDegPerStep() / m, share, Median.of(measured));
                ratios.put(name + " " + f.layer(), f.rotationDegPerStep() / m);
                shares.put(name + " " + f.layer(), share);
                compared++;
            }
            assertThat(compared).as("%s: layers compared", name).isPositive();
        }
        shares.forEach((layer, share) -> assertThat(share).as("%s v/(v+eps): scale-invariant", layer)
                .isGreaterThanOrEqualTo(SCALE_INVARIANT));
        ratios.forEach((layer, ratio) -> assertThat(ratio).as("%s forecast / measured", layer)
                .isBetween(1 / FORECAST_FACTOR, FORECAST_FACTOR));
    }

    private static double medianDecay(List<Checkpoint> checkpoints) {
        return Median.of(checkpoints.stream().flatMap(c -> c.layers().stream()).mapToDouble(LayerCheckpoint::decay)
                .toArray());
    }

    private static double lowestDecay(List<Checkpoint> checkpoints) {
        return checkpoints.stream().flatMap(c -> c.layers().stream()).mapToDouble(LayerCheckpoint::decay).min()
                .orElse(Double.NaN);
    }
}
