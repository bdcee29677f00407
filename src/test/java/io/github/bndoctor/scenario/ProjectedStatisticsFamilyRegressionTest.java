package io.github.bndoctor.scenario;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.remedy.ProjectedStatistics;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProjectedStatistics} at its defaults where a moving average at the configured decay fails: the
 * plain CNN with a dense BN head at batch 8 ({@link NetworkFamily#PLAIN_CNN}'s recipe: Adam 3e-3,
 * {@code .l2(1e-3)}, decay 0.997, 1,000 iterations; a tuning family) on two seeds, and the ResNet-style
 * scenario's diverging configuration ({@link ScenarioKind#POSE_RESNET}: Adam 1e-3, decay 0.997, 400
 * iterations) on one, checkpoints every {@value #PROBE_EVERY} iterations, the listener before the monitor.
 * The same training at the configured decay without the listener is the comparison: its worst
 * eval/precise must be above {@value #FIXED_ABOVE}, so the bound is not met by a network that never
 * degrades (the ResNet's for {@value #RESNET_FIXED_ITERATIONS} iterations, enough for that), and the plain
 * CNN's trained parameters must be bit-identical with and without the listener (it leaves training alone). Bounds (figures in
 * docs/record.md, "Projected statistics on the families"): {@link #PRECISE_RATIO} sits above the worst
 * measured eval/precise after warm-up by the spread seen between seeds.
 */
@Tag("adaptive")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProjectedStatisticsFamilyRegressionTest {
    static final long[] CNN_SEEDS = {1, 2};
    static final long RESNET_SEED = 1;
    static final int PROBE_EVERY = 100;
    static final long WARMUP = 100;
    /** The bound: measured at most 1.09 on PLAIN_CNN seeds 1-3 and 1.04 on POSE_RESNET seed 1 (docs/record.md). */
    static final double PRECISE_RATIO = 1.2;
    /** The fixed configured decay must do worse than this at some checkpoint after warm-up: measured 15-37. */
    static final double FIXED_ABOVE = 2;
    /** The ResNet-style scenario's diverging run length. */
    static final int RESNET_ITERATIONS = 400;
    /** The fixed-decay ResNet comparison stops where it is far above the bound (measured 8.6 at 300, 3.4 at 200). */
    static final int RESNET_FIXED_ITERATIONS = 300;

    /** One run: its checkpoints and the hash of its trained parameters without the moving statistics. */
    record Run(List<Checkpoint> checkpoints, int trainedHash) {
        double worstPrecise() {
            return checkpoints.stream().filter(c -> c.iteration() >= WARMUP)
                    .mapToDouble(c -> c.gap().evalModeLoss() / c.gap().preciseLoss()).max().orElse(Double.NaN);
        }
    }

    private final Map<String, Run> runs = new ConcurrentHashMap<>();

    @BeforeAll
    void train() {
        // longest first, so the two workers finish together
        List<Callable<Object>> jobs = new ArrayList<>();
        jobs.add(() -> put("resnet projected " + RESNET_SEED, resnet(RESNET_SEED, true, RESNET_ITERATIONS)));
        jobs.add(() -> put("resnet fixed " + RESNET_SEED, resnet(RESNET_SEED, false, RESNET_FIXED_ITERATIONS)));
        for (long seed : CNN_SEEDS) {
            jobs.add(() -> put("cnn projected " + seed, cnn(seed, true)));
        }
        jobs.add(() -> put("cnn fixed " + CNN_SEEDS[0], cnn(CNN_SEEDS[0], false)));
        ParallelRuns.all(jobs, 2, 1);
    }

    private Object put(String key, Run run) {
        runs.put(key, run);
        return null;
    }

    private static List<TrainingListener> listener(boolean projected) {
        return projected ? List.of(ProjectedStatistics.builder().build()) : List.of();
    }

    static Run cnn(long seed, boolean projected) {
        FamilyConfig c = NetworkFamily.PLAIN_CNN.recipe(seed).toBuilder().checkpointEvery(PROBE_EVERY).build();
        MonitoredFamily.Result r = MonitoredFamily.run(c, listener(projected), List.of());
        return new Run(r.checkpoints(), trainedHash(r.run().model()));
    }

    static Run resnet(long seed, boolean projected, int iterations) {
        ScenarioConfig c = ScenarioKind.POSE_RESNET.diverging().withSeed(seed).toBuilder().iterations(iterations).build();
        MonitoredScenario.Result r = MonitoredScenario.run(c, PROBE_EVERY, x -> { }, listener(projected), List.of());
        return new Run(r.checkpoints(), trainedHash(r.run().graph()));
    }

    /**
     * @param model a trained network
     * @return a hash of every parameter's float bits but the BN moving statistics
     */
    static int trainedHash(Model model) {
        int h = 1;
        for (Map.Entry<String, INDArray> e : new TreeMap<>(model.paramTable()).entrySet()) {
            String k = e.getKey();
            if (!(k.endsWith("_mean") || k.endsWith("_var") || k.endsWith("_log10stdev"))) {
                h = 31 * (31 * h + k.hashCode()) + Arrays.hashCode(e.getValue().dup().data().asFloat());
            }
        }
        return h;
    }

    @Test
    void projectedStatisticsHoldTheBoundWhereTheConfiguredDecayFails() {
        runs.forEach((k, r) -> {
            StringBuilder line = new StringBuilder(k + ": iteration eval/train eval/precise:");
            r.checkpoints().forEach(c -> line.append(String.format(Locale.ROOT, " %d %.3f %.3f;", c.iteration(),
                    c.gap().evalToTrainRatio(), c.gap().evalModeLoss() / c.gap().preciseLoss())));
            System.out.println(line);
        });
        assertThat(runs.get("cnn fixed " + CNN_SEEDS[0]).worstPrecise()).as("PLAIN_CNN at decay 0.997")
                .isGreaterThan(FIXED_ABOVE);
        assertThat(runs.get("resnet fixed " + RESNET_SEED).worstPrecise()).as("POSE_RESNET at decay 0.997")
                .isGreaterThan(FIXED_ABOVE);
        assertThat(runs.get("cnn projected " + CNN_SEEDS[0]).trainedHash()).as("PLAIN_CNN training untouched")
                .isEqualTo(runs.get("cnn fixed " + CNN_SEEDS[0]).trainedHash());
        runs.forEach((k, r) -> {
            if (k.contains("projected")) {
                assertThat(r.checkpoints().get(r.checkpoints().size() - 1).iteration()).as(k).isGreaterThanOrEqualTo(400);
                for (Checkpoint c : r.checkpoints()) {
                    if (c.iteration() >= WARMUP) {
                        assertThat(c.gap().evalModeLoss() / c.gap().preciseLoss())
                                .as("%s iteration %d eval/precise", k, c.iteration()).isLessThanOrEqualTo(PRECISE_RATIO);
                    }
                }
            }
        });
    }
}
