package io.github.bndoctor.remedy;

import io.github.bndoctor.scenario.InterleavedTraining;
import io.github.bndoctor.scenario.ScenarioConfig;
import io.github.bndoctor.scenario.ScenarioRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProjectedStatistics}' cost at its defaults on the seed scenario: the same training with and
 * without the listener in interleaved blocks (the order alternating per round), printed as the ratio of
 * the summed times and an approximate 95% interval of the per-round ratios (mean +- 2 standard errors).
 * Run with {@code mvn test -Pbench -Dtest=ProjectedStatisticsOverheadBenchmark}.
 */
@Tag("bench")
class ProjectedStatisticsOverheadBenchmark {
    static final int BLOCK = 20;
    static final int ROUNDS = Integer.getInteger("bndoctor.bench.rounds", 30);

    @Test
    void printsTheListenersShareOfATrainingIteration() {
        ScenarioConfig config = ScenarioConfig.seedCollapse();
        ScenarioRun plain = ScenarioRun.start(config);
        ScenarioRun projected = ScenarioRun.start(config);
        ProjectedStatistics listener = ProjectedStatistics.builder().build();
        projected.graph().addListeners(listener);
        InterleavedTraining.warmUp(plain, projected);
        double[] ratios = new double[ROUNDS];
        long plainTotal = 0;
        long projectedTotal = 0;
        for (int r = 0; r < ROUNDS; r++) {
            long a;
            long b;
            if (r % 2 == 0) {
                a = time(plain);
                b = time(projected);
            } else {
                b = time(projected);
                a = time(plain);
            }
            plainTotal += a;
            projectedTotal += b;
            ratios[r] = (double) b / a;
        }
        double mean = java.util.Arrays.stream(ratios).average().orElse(Double.NaN);
        double sd = Math.sqrt(java.util.Arrays.stream(ratios).map(x -> (x - mean) * (x - mean)).sum() / (ROUNDS - 1));
        double half = 2 * sd / Math.sqrt(ROUNDS);
        int n = ROUNDS * BLOCK;
        System.out.printf(Locale.ROOT, "%nProjectedStatistics overhead (seed scenario, %d iterations each after %d warm-up,"
                        + " every=%d, input decay %s, accumulated every %d, at most %d positions): %.2f ms plain, %.2f ms with the listener per iteration, ratio %.4f;"
                        + " per-round ratio %.4f +- %.4f (95%%)%n", n, InterleavedTraining.WARMUP, listener.every(),
                listener.inputDecay(), listener.accumulateEvery(), listener.maxPositions(), plainTotal / 1e6 / n, projectedTotal / 1e6 / n, (double) projectedTotal / plainTotal,
                mean, half);
        assertThat(listener.routes()).isNotEmpty();
    }

    private static long time(ScenarioRun run) {
        long t0 = System.nanoTime();
        run.train(BLOCK);
        return System.nanoTime() - t0;
    }
}
