package io.github.bndoctor.scenario;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.remedy.ProjectedStatistics;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProjectedStatistics} at its defaults on the seed scenario at full length
 * ({@link ScenarioConfig#seedCollapse()}: Adam 1e-3, decay 0.997, 1,500 iterations, checkpoints every
 * {@value #PROBE_EVERY}), two seeds trained side by side (the leg's time budget), the listener called
 * before the monitor so every checkpoint sees a fresh write. Bounds (figures in docs/record.md, "Projected
 * statistics"): {@link #PRECISE_RATIO} and {@link #TRAIN_RATIO} sit above the worst measured eval/precise
 * and eval/train after warm-up on seeds 1-3 by the spread seen between seeds; the fixed 0.997 of the same
 * training collapses (eval/train above 5, the regression leg).
 */
@Tag("adaptive")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProjectedStatisticsRegressionTest {
    static final long[] SEEDS = {1, 3};
    static final int PROBE_EVERY = 100;
    static final long WARMUP = SeedScenarioRegressionTest.WARMUP;
    /** Measured at most 1.14 (seeds 1-3: 1.14, 1.12, 1.02); 1.25 leaves the spread between seeds as headroom. */
    static final double PRECISE_RATIO = 1.25;
    /** Measured at most 1.16 (seeds 1-3: 1.16, 1.13, 1.03); the same headroom. */
    static final double TRAIN_RATIO = 1.25;

    private final Map<Long, MonitoredScenario.Result> runs = new ConcurrentHashMap<>();

    @BeforeAll
    void train() {
        List<Callable<Object>> jobs = new ArrayList<>();
        for (long seed : SEEDS) {
            jobs.add(() -> {
                List<TrainingListener> before = List.of(ProjectedStatistics.builder().build());
                runs.put(seed, MonitoredScenario.run(ScenarioConfig.seedCollapse().withSeed(seed), PROBE_EVERY, c -> { },
                        before, List.of()));
                return null;
            });
        }
        ParallelRuns.all(jobs, 2, 1);
    }

    @Test
    void projectedStatisticsKeepTheSeedConfigurationHealthy() {
        for (long seed : SEEDS) {
            List<Checkpoint> cps = runs.get(seed).checkpoints();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                    "projected statistics seed %d: iteration eval/train eval/precise:", seed));
            cps.forEach(c -> line.append(String.format(Locale.ROOT, " %d %.3f %.3f;", c.iteration(),
                    c.gap().evalToTrainRatio(), c.gap().evalModeLoss() / c.gap().preciseLoss())));
            System.out.println(line);
        }
        for (long seed : SEEDS) {
            List<Checkpoint> cps = runs.get(seed).checkpoints();
            assertThat(cps.get(cps.size() - 1).iteration()).isEqualTo(ScenarioConfig.COLLAPSE_ITERATIONS);
            for (Checkpoint c : cps) {
                if (c.iteration() >= WARMUP) {
                    assertThat(c.gap().evalModeLoss() / c.gap().preciseLoss())
                            .as("seed %d iteration %d eval/precise", seed, c.iteration()).isLessThanOrEqualTo(PRECISE_RATIO);
                    assertThat(c.gap().evalToTrainRatio())
                            .as("seed %d iteration %d eval/train", seed, c.iteration()).isLessThanOrEqualTo(TRAIN_RATIO);
                }
            }
        }
    }
}
