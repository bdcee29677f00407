package io.github.bndoctor.scenario;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.monitor.AlarmLevel;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.Verdict;
import io.github.bndoctor.remedy.PreciseBn;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.nd4j.linalg.dataset.DataSet;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed scenario reproduces the report's collapse and its fixes hold (the regression gate).
 * Runs are shared between tests: each (preset, seed) trains once, two at a time. Thresholds, each
 * from the calibration in {@code fixtures/scenario-calibration.md}:
 * <ul>
 *   <li>{@link #COLLAPSE_TO_ZEROS} = 0.8 with {@link #TRAINED} = 0.1: the report's hallmark is an
 *       inference-mode loss at the level of all-zero outputs while training mode is good; the
 *       seed preset reaches 0.81-0.87 of it from iteration 1,100-1,300 on seeds 1-3 with its
 *       training-mode loss at 0.02-0.03 of it;</li>
 *   <li>{@link #DIVERGED_RATIO} = 5: the seed divergence passes it by iteration 500-600 on every
 *       calibrated seed (eval/train 39-50 at 1,500), while fixes stay below
 *       {@link #HEALTHY_RATIO};</li>
 *   <li>{@link #HEALTHY_RATIO} = 1.5: the fixes' worst eval/train ratio after warm-up stayed below
 *       ~1.35 on every calibrated seed; training-mode loss itself fluctuates by ~20% batch to
 *       batch;</li>
 *   <li>{@link #PRECISE_RATIO} = 1.1: precise statistics restore inference to training mode's
 *       loss within 0.92-1.05 at every calibrated checkpoint;</li>
 *   <li>{@link #WARMUP}: the warm start leaves no prior, but the first checkpoint still sees the
 *       initial transient of the loss itself; checkpoints before it are not gated.</li>
 * </ul>
 * The measured trajectories are stored in {@code fixtures/regression-baseline.json}; re-create it
 * with {@code mvn test -Pregression -Dbndoctor.writeBaseline=true} after an intended change.
 */
@Tag("regression")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SeedScenarioRegressionTest {
    static final long[] SEEDS = {1, 2, 3};
    static final double COLLAPSE_TO_ZEROS = 0.8;
    /**
     * Training mode counts as good when its loss is at most this fraction of the all-zeros loss
     * (the seed preset is at 0.02-0.03 by the collapse; the slow fixes stay at 0.3-0.9, which is
     * why an inference loss near the all-zeros level alone does not mark a collapse).
     */
    static final double TRAINED = 0.1;
    static final double DIVERGED_RATIO = 5.0;
    static final double HEALTHY_RATIO = 1.5;
    static final double PRECISE_RATIO = 1.1;
    static final long WARMUP = 100;
    /** Training-mode loss must still be falling at the collapse: below its value this many iterations earlier. */
    static final long FALLING_OVER = 400;
    /** Eval/train ratio that counts as degraded inference when scoring the early warning. */
    static final double DEGRADED_RATIO = 2.0;
    static final File BASELINE = new File("fixtures/regression-baseline.json");
    /**
     * Baseline band on each checkpoint's eval/train ratio, as a factor either way: a rerun on the
     * same machine reproduces the ratios bit for bit (single-threaded ND4J, seeded data and
     * weights); the band absorbs float reassociation on other CPUs and ND4J builds.
     */
    static final double BASELINE_RATIO_FACTOR = 1.5;

    /** The collapse, its fixes over the same length, and the report's decay-switch experiment. */
    static final List<String> PRESETS = List.of("seedCollapse", "adamLowLr", "nesterov", "decaySwitch");
    /**
     * Trains all 12 runs up front, two at a time ({@link SharedScenarioRuns}, shared with the
     * alarm-quality test): each run is single-threaded ND4J with its own seeded network and data, so
     * two in parallel use both cores; the baseline band test checks the results against runs
     * measured one at a time.
     */
    @org.junit.jupiter.api.BeforeAll
    void trainAll() {
        List<ScenarioConfig> configs = new ArrayList<>();
        for (String preset : PRESETS) {
            for (long seed : SEEDS) {
                configs.add(preset(preset).withSeed(seed));
            }
        }
        SharedScenarioRuns.all(configs);
    }

    static ScenarioConfig preset(String preset) {
        return switch (preset) {
            case "seedCollapse" -> ScenarioConfig.seedCollapse();
            case "adamLowLr" -> ScenarioConfig.adamLowLr().toBuilder().iterations(ScenarioConfig.COLLAPSE_ITERATIONS).build();
            case "nesterov" -> ScenarioConfig.nesterov().toBuilder().iterations(ScenarioConfig.COLLAPSE_ITERATIONS).build();
            case "decaySwitch" -> ScenarioConfig.decaySwitch();
            default -> throw new IllegalArgumentException(preset);
        };
    }

    private MonitoredScenario.Result run(String preset, long seed) {
        return SharedScenarioRuns.get(preset(preset).withSeed(seed)).result();
    }

    private static List<Checkpoint> afterWarmup(MonitoredScenario.Result r) {
        return r.checkpoints().stream().filter(c -> c.iteration() >= WARMUP).toList();
    }

    @Test
    void divergenceIsDetectedAsEmaLagWithAnAlarmNoLaterThanTheCollapse() {
        for (long seed : SEEDS) {
            MonitoredScenario.Result r = run("seedCollapse", seed);
            Checkpoint collapse = afterWarmup(r).stream().filter(c -> c.gap().evalToTrainRatio() >= DIVERGED_RATIO)
                    .findFirst().orElseThrow(() -> new AssertionError("seed " + seed + ": no checkpoint with ratio >= "
                            + DIVERGED_RATIO + "; worst " + r.worstRatioAfter(WARMUP)));
            assertThat(collapse.verdict()).as("seed %d verdict at iteration %d", seed, collapse.iteration())
                    .isEqualTo(Verdict.EMA_LAG);
            assertThat(r.alarms()).as("seed %d: an alarm at or before iteration %d", seed, collapse.iteration())
                    .anyMatch(a -> a.iteration() <= collapse.iteration());
        }
    }

    @Test
    void adamLowLrAndNesterovStayHealthyWithoutFailAlarms() {
        for (String fix : List.of("adamLowLr", "nesterov")) {
            for (long seed : SEEDS) {
                MonitoredScenario.Result r = run(fix, seed);
                assertThat(r.worstRatioAfter(WARMUP)).as("%s seed %d worst eval/train ratio", fix, seed)
                        .isLessThan(HEALTHY_RATIO);
                assertThat(r.alarms()).as("%s seed %d", fix, seed).noneMatch(a -> a.level() == AlarmLevel.FAIL);
            }
        }
    }

    @Test
    void preciseBnRecalibrationRepairsTheDivergedRuns() {
        for (long seed : SEEDS) {
            MonitoredScenario.Result r = run("seedCollapse", seed);
            // for real: recalibrate a copy of the final network: recalibrate a copy of the final network, then compare inference with training mode
            BnNetwork net = MonitoredScenario.network(r).copy();
            List<DataSet> batches = new ArrayList<>();
            PoseDataGenerator data = new PoseDataGenerator(seed ^ 0xC0FFEE, r.config().keypoints(), r.config().sigma());
            for (int i = 0; i < 32; i++) {
                batches.add(data.nextBatch(r.config().batchSize()).dataSet());
            }
            PreciseBn.recalibrate(net, new ListDataSetIterator<>(batches, 1), 256);
            DataSet probe = r.run().data().probeSet(MonitoredScenario.PROBE_SIZE).dataSet();
            double eval = ProbeLoss.inferenceMode((org.deeplearning4j.nn.graph.ComputationGraph) net.model(), probe);
            double train = ProbeLoss.trainingMode((org.deeplearning4j.nn.graph.ComputationGraph) net.model(), probe,
                    r.config().batchSize());
            assertThat(eval / train).as("seed %d after recalibration", seed).isLessThan(HEALTHY_RATIO);
        }
    }

    /**
     * The report's hallmark: inference-mode loss at the level of all-zero outputs while the
     * training-mode loss is still falling, and precise statistics restoring inference.
     */
    @Test
    void seedCollapsesToTheAllZerosLevelWhileTrainingModeImproves() {
        for (long seed : SEEDS) {
            MonitoredScenario.Result r = run("seedCollapse", seed);
            double zeros = ProbeLoss.allZerosLevel(r.run().data().probeSet(MonitoredScenario.PROBE_SIZE).dataSet());
            Checkpoint collapse = afterWarmup(r).stream()
                    .filter(c -> c.gap().evalModeLoss() >= COLLAPSE_TO_ZEROS * zeros
                            && c.gap().trainModeLoss() <= TRAINED * zeros).findFirst()
                    .orElseThrow(() -> new AssertionError("seed " + seed + ": inference loss never reached "
                            + COLLAPSE_TO_ZEROS + " of the all-zeros loss " + zeros + "; highest "
                            + r.checkpoints().stream().mapToDouble(c -> c.gap().evalModeLoss()).max().orElse(0)));
            Checkpoint earlier = r.checkpoints().stream().filter(c -> c.iteration() == collapse.iteration() - FALLING_OVER)
                    .findFirst().orElseThrow();
            System.out.printf("seed %d: inference loss %.4g = %.2f of the all-zeros loss at iteration %d; training-mode"
                    + " loss %.4g (%.4g at %d); largest output eval %.3g, train %.3g%n", seed,
                    collapse.gap().evalModeLoss(), collapse.gap().evalModeLoss() / zeros, collapse.iteration(),
                    collapse.gap().trainModeLoss(), earlier.gap().trainModeLoss(), earlier.iteration(),
                    collapse.gap().evalModeMaxAbsOutput(), collapse.gap().trainModeMaxAbsOutput());
            assertThat(collapse.gap().zerosLoss()).as("seed %d: the checkpoint's own all-zeros loss", seed)
                    .isCloseTo(zeros, org.assertj.core.data.Percentage.withPercentage(1e-6));
            assertThat(collapse.gap().trainModeLoss()).as("seed %d: training-mode loss still falling at the collapse",
                    seed).isLessThan(earlier.gap().trainModeLoss());
            for (Checkpoint c : afterWarmup(r)) {
                assertThat(c.gap().preciseToTrainRatio()).as("seed %d iteration %d precise/train", seed, c.iteration())
                        .isLessThanOrEqualTo(PRECISE_RATIO);
            }
            for (String fix : List.of("adamLowLr", "nesterov")) {
                assertThat(afterWarmup(run(fix, seed))).as("%s seed %d never collapses", fix, seed)
                        .noneMatch(c -> c.gap().evalModeLoss() >= COLLAPSE_TO_ZEROS * zeros
                                && c.gap().trainModeLoss() <= TRAINED * zeros);
            }
        }
    }

    /**
     * The report's experiment, replayed: 0.997 until {@link ScenarioConfig#FIRST_SWITCH}, then 0.9,
     * then 0.5 from {@link ScenarioConfig#SECOND_SWITCH}. Measured in DL4J: inference recovers at
     * the first checkpoint after the switch (a 10-iteration window catches up within tens of
     * iterations) and does not relapse to a degraded ratio through the end of the run; 0.5 keeps it
     * there. The run is identical to the collapse run until the switch.
     */
    @Test
    void decaySwitchRecoversAtOnceAndDoesNotRelapse() {
        for (long seed : SEEDS) {
            MonitoredScenario.Result sw = run("decaySwitch", seed);
            MonitoredScenario.Result base = run("seedCollapse", seed);
            for (Checkpoint c : sw.checkpoints()) {
                if (c.iteration() <= ScenarioConfig.FIRST_SWITCH) {
                    Checkpoint same = base.checkpoints().stream().filter(b -> b.iteration() == c.iteration()).findFirst()
                            .orElseThrow();
                    assertThat(c.gap().evalModeLoss()).as("seed %d iteration %d: same run as the collapse before the switch",
                            seed, c.iteration()).isEqualTo(same.gap().evalModeLoss());
                }
                System.out.printf("decay switch seed %d it=%d eval/train=%.3g precise/train=%.3g%n", seed, c.iteration(),
                        c.gap().evalToTrainRatio(), c.gap().preciseToTrainRatio());
            }
            double before = sw.checkpoints().stream().filter(c -> c.iteration() == ScenarioConfig.FIRST_SWITCH)
                    .findFirst().orElseThrow().gap().evalToTrainRatio();
            assertThat(before).as("seed %d: degraded before the switch", seed).isGreaterThanOrEqualTo(DIVERGED_RATIO);
            List<Checkpoint> after = sw.checkpoints().stream().filter(c -> c.iteration() > ScenarioConfig.FIRST_SWITCH)
                    .toList();
            assertThat(after.get(0).gap().evalToTrainRatio()).as("seed %d: recovered at iteration %d", seed,
                    after.get(0).iteration()).isLessThan(HEALTHY_RATIO);
            for (Checkpoint c : after) {
                assertThat(c.gap().evalToTrainRatio()).as("seed %d: no relapse at iteration %d", seed, c.iteration())
                        .isLessThan(DEGRADED_RATIO);
            }
        }
    }

    /**
     * The early warning (median predicted lag above 5 degrees, or median lag error above 0.5) is
     * scored against the outcome "eval/train ratio at least 2" over every checkpoint of every run;
     * precision and recall are printed, and the warning must fire on every diverging seed no later
     * than its first degraded checkpoint.
     */
    @Test
    void earlyWarningPrecedesDegradedInference() {
        List<Checkpoint> all = new ArrayList<>();
        List<List<Checkpoint>> perRun = new ArrayList<>();
        for (String preset : PRESETS) {
            for (long seed : SEEDS) {
                all.addAll(afterWarmup(run(preset, seed)));
                perRun.add(afterWarmup(run(preset, seed)));
            }
        }
        // an early warning is right if its run degrades within one EMA window (333 iterations at 0.997)
        long horizon = Math.round(1 / (1 - ScenarioConfig.seedDivergence().bnDecay()));
        java.util.function.Predicate<Checkpoint> predicted = c -> c.medianPredictedLag() > 5;
        java.util.function.Predicate<Checkpoint> lag = c -> c.medianLagError() > 0.5;
        System.out.printf("early warning vs eval/train >= %.1f over %d checkpoints:%n  predicted lag > 5 deg: %s%n"
                        + "  EMA lag error > 0.5:   %s%n  either:                %s%n", DEGRADED_RATIO, all.size(),
                io.github.bndoctor.monitor.AlarmQuality.of(all, predicted, DEGRADED_RATIO),
                io.github.bndoctor.monitor.AlarmQuality.of(all, lag, DEGRADED_RATIO),
                io.github.bndoctor.monitor.AlarmQuality.of(all, predicted.or(lag), DEGRADED_RATIO));
        System.out.printf("  as early warning (degraded within %d iterations):%n  predicted lag > 5 deg: %s%n"
                        + "  EMA lag error > 0.5:   %s%n  either:                %s%n", horizon,
                io.github.bndoctor.monitor.AlarmQuality.ofRuns(perRun, predicted, DEGRADED_RATIO, horizon),
                io.github.bndoctor.monitor.AlarmQuality.ofRuns(perRun, lag, DEGRADED_RATIO, horizon),
                io.github.bndoctor.monitor.AlarmQuality.ofRuns(perRun, predicted.or(lag), DEGRADED_RATIO, horizon));
        for (String preset : PRESETS) {
            for (long seed : SEEDS) {
                for (Checkpoint c : afterWarmup(run(preset, seed))) {
                    System.out.printf("  %s#%d it=%d ratio=%.3g predictedLag=%.3g lagError=%.3g verdict=%s%n", preset,
                            seed, c.iteration(), c.gap().evalToTrainRatio(), c.medianPredictedLag(),
                            c.medianLagError(), c.verdict());
                }
            }
        }
        // measured: precision 1.00, recall 1.00 over 72 checkpoints (predicted lag 11.7-24.6 deg on the
        // diverging runs, at most 3.7 on the fixes); the PyTorch MobileNetV2 reference got 100% / 82%
        io.github.bndoctor.monitor.AlarmQuality early = io.github.bndoctor.monitor.AlarmQuality.ofRuns(perRun,
                predicted.or(lag), DEGRADED_RATIO, horizon);
        assertThat(early.precision()).as("early-warning precision").isGreaterThanOrEqualTo(0.9);
        assertThat(early.recall()).as("early-warning recall").isGreaterThanOrEqualTo(0.9);
        for (long seed : SEEDS) {
            List<Checkpoint> cs = afterWarmup(run("seedCollapse", seed));
            long degraded = cs.stream().filter(c -> c.gap().evalToTrainRatio() >= DEGRADED_RATIO)
                    .mapToLong(Checkpoint::iteration).min().orElseThrow();
            long warned = cs.stream().filter(predicted.or(lag)).mapToLong(Checkpoint::iteration).min()
                    .orElse(Long.MAX_VALUE);
            assertThat(warned).as("seed %d: first early warning vs first degraded checkpoint %d", seed, degraded)
                    .isLessThanOrEqualTo(degraded);
        }
    }

    @Test
    void trajectoriesStayInTheirBaselineBands() throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Map<String, List<double[]>> now = new LinkedHashMap<>();
        for (String preset : PRESETS) {
            for (long seed : SEEDS) {
                List<double[]> rows = new ArrayList<>();
                for (Checkpoint c : run(preset, seed).checkpoints()) {
                    rows.add(new double[] {c.iteration(), c.gap().trainModeLoss(), c.gap().evalModeLoss(),
                            c.gap().preciseLoss()});
                }
                now.put(preset + "#" + seed, rows);
            }
        }
        if (Boolean.getBoolean("bndoctor.writeBaseline")) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("columns", List.of("iteration", "trainModeLoss", "evalModeLoss", "preciseLoss"));
            doc.put("ratioBandFactor", BASELINE_RATIO_FACTOR);
            doc.put("runs", now);
            json.writeValue(BASELINE, doc);
        }
        assertThat(BASELINE).as("baseline file (create with -Dbndoctor.writeBaseline=true)").exists();
        Map<?, ?> doc = json.readValue(BASELINE, Map.class);
        Map<?, ?> base = (Map<?, ?>) doc.get("runs");
        for (Map.Entry<String, List<double[]>> e : now.entrySet()) {
            List<?> rows = (List<?>) base.get(e.getKey());
            assertThat(rows).as("baseline has %s", e.getKey()).isNotNull().hasSameSizeAs(e.getValue());
            for (int i = 0; i < rows.size(); i++) {
                List<?> b = (List<?>) rows.get(i);
                double[] n = e.getValue().get(i);
                double baseRatio = ((Number) b.get(2)).doubleValue() / ((Number) b.get(1)).doubleValue();
                double ratio = n[2] / n[1];
                assertThat(Math.abs(Math.log(ratio / baseRatio))).as("%s iteration %d: ratio %s vs baseline %s",
                        e.getKey(), (long) n[0], ratio, baseRatio).isLessThanOrEqualTo(Math.log(BASELINE_RATIO_FACTOR));
            }
        }
    }

}
