package io.github.bndoctor.remedy;

import io.github.bndoctor.testkit.RecordWriter;
import io.github.bndoctor.scenario.InterleavedTraining;
import io.github.bndoctor.scenario.ScenarioConfig;
import io.github.bndoctor.scenario.ScenarioRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AdaptiveDecay}'s cost at its defaults (adapting every iteration) on the seed scenario,
 * printed as a ratio measured in one run: the same training with and without the listener, in
 * interleaved blocks so that the machine's load drifts into both alike. Run with
 * {@code mvn test -Pbench -Dtest=AdaptiveDecayOverheadBenchmark}.
 */
@Tag("bench")
class AdaptiveDecayOverheadBenchmark {
    static final int BLOCK = 25;
    static final int BLOCKS = 24;

    @Test
    void printsTheListenersShareOfATrainingIteration() {
        ScenarioConfig config = ScenarioConfig.seedCollapse();
        ScenarioRun plain = ScenarioRun.start(config);
        ScenarioRun adapted = ScenarioRun.start(config);
        AdaptiveDecay listener = AdaptiveDecay.builder().build();
        adapted.graph().addListeners(listener);
        InterleavedTraining.warmUp(plain, adapted);
        long[] nanos = InterleavedTraining.nanos(plain, adapted, BLOCKS, BLOCK);
        long plainNanos = nanos[0];
        long adaptedNanos = nanos[1];
        int n = BLOCK * BLOCKS;
        try (RecordWriter.Section record = RecordWriter.section("AdaptiveDecayOverheadBenchmark")) {
            System.out.printf(Locale.ROOT, "%nAdaptiveDecay overhead (seed scenario, %d iterations after %d warm-up, every=%d,"
                            + " %s): %.1f ms plain, %.1f ms with the listener per iteration, ratio %.3f%n", n, InterleavedTraining.WARMUP,
                    listener.every(), System.getenv().getOrDefault("OMP_NUM_THREADS", "default threads"),
                    plainNanos / 1e6 / n, adaptedNanos / 1e6 / n, (double) adaptedNanos / plainNanos);
        }
        assertThat(listener.history()).hasSize((InterleavedTraining.WARMUP + n) / listener.every());
    }
}
