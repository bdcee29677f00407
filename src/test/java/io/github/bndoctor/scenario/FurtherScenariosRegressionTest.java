package io.github.bndoctor.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.scenario.SharedScenarioRuns.Monitored;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The two further scenarios ({@link ScenarioKind#POSE_RESNET}, {@link ScenarioKind#DENSE_REGRESSION})
 * diverge with their diverging configuration and stay healthy with their fixes, on the calibrated
 * seeds 1-3, trained through the same {@link MonitoredScenario} wiring as the seed scenario (with
 * the free per-iteration lag signal recorded next to each checkpoint). Thresholds, from the
 * calibration in {@code fixtures/scenario-calibration.md} ("Further scenarios"):
 * <ul>
 *   <li>the diverging runs start healthy (eval/train below {@link #HEALTHY_RATIO} at iteration 0,
 *       measured here with {@link ProbeLoss} on the fresh warm-started run) and end at least
 *       {@link #DIVERGED_RATIO} = 2 and at least {@link #RISE} times their start: calibrated
 *       1.06-1.18 at 0, 13.0-16.4 (ResNet) and 2.5-17.4 (dense) at the end;</li>
 *   <li>{@link #HEALTHY_RATIO} = 1.5 at every checkpoint: the fixes' worst calibrated ratio stays
 *       below it with margin.</li>
 * </ul>
 */
@Tag("regression")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FurtherScenariosRegressionTest {
    /** The calibrated seeds; {@code -Dbndoctor.furtherSeeds=4,5,6} replays held-out ones. */
    static final long[] SEEDS = java.util.Arrays.stream(System.getProperty("bndoctor.furtherSeeds", "1,2,3").split(","))
            .mapToLong(Long::parseLong).toArray();
    static final double DIVERGED_RATIO = 2.0;
    static final double HEALTHY_RATIO = 1.5;
    static final double RISE = 1.5;

    private final Set<String> printed = ConcurrentHashMap.newKeySet();

    /** Trains every run of this class up front, two at a time ({@link SharedScenarioRuns}). */
    @BeforeAll
    void trainAll() {
        List<ScenarioConfig> configs = new ArrayList<>();
        for (ScenarioKind kind : List.of(ScenarioKind.POSE_RESNET, ScenarioKind.DENSE_REGRESSION)) {
            configs.addAll(seeds(kind.diverging()));
            for (ScenarioConfig fix : kind.fixes()) {
                configs.addAll(seeds(fix));
            }
        }
        SharedScenarioRuns.all(configs);
    }

    private Monitored run(ScenarioConfig config) {
        Monitored m = SharedScenarioRuns.get(config);
        if (printed.add(config.toString())) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s seed %d lr %.0e decay %.3f %s:",
                    config.kind(), config.seed(), config.learningRate(), config.bnDecay(), config.optimizer()));
            for (Checkpoint c : m.result().checkpoints()) {
                line.append(String.format(Locale.ROOT, " %d: eval/train %.2f precise/train %.2f freeLag %.2f angle %.1f;",
                        c.iteration(), c.gap().evalToTrainRatio(), c.gap().preciseToTrainRatio(),
                        m.freeLagAt(c.iteration()), c.medianMeasuredLag()));
            }
            System.out.println(line);
        }
        return m;
    }

    private static List<ScenarioConfig> seeds(ScenarioConfig config) {
        List<ScenarioConfig> out = new ArrayList<>();
        for (long s : SEEDS) {
            out.add(config.withSeed(s));
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = ScenarioKind.class, names = {"POSE_RESNET", "DENSE_REGRESSION"})
    void divergingConfigurationDegradesInferenceAndKeepsClimbing(ScenarioKind kind) {
        for (ScenarioConfig config : seeds(kind.diverging())) {
            ScenarioRun fresh = ScenarioRun.start(config);
            DataSet probe = fresh.samples().probe(MonitoredScenario.PROBE_SIZE);
            double start = ProbeLoss.inferenceMode(fresh.graph(), probe)
                    / ProbeLoss.trainingMode(fresh.graph(), probe, config.batchSize());
            List<Checkpoint> cps = run(config).result().checkpoints();
            double last = cps.get(cps.size() - 1).gap().evalToTrainRatio();
            assertThat(start).as("%s seed %d eval/train at 0", kind, config.seed()).isLessThan(HEALTHY_RATIO);
            assertThat(last).as("%s seed %d last eval/train", kind, config.seed()).isGreaterThanOrEqualTo(DIVERGED_RATIO)
                    .isGreaterThanOrEqualTo(RISE * start);
        }
    }

    @ParameterizedTest
    @EnumSource(value = ScenarioKind.class, names = {"POSE_RESNET", "DENSE_REGRESSION"})
    void fixesKeepInferenceHealthyThroughout(ScenarioKind kind) {
        for (ScenarioConfig fix : kind.fixes()) {
            for (ScenarioConfig config : seeds(fix)) {
                for (Checkpoint c : run(config).result().checkpoints()) {
                    assertThat(c.gap().evalToTrainRatio()).as("%s seed %d iteration %d", config, config.seed(), c.iteration())
                            .isLessThan(HEALTHY_RATIO);
                }
            }
        }
    }
}
