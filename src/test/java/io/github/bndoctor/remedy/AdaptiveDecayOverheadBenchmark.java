package io.github.bndoctor.remedy;

import io.github.bndoctor.testkit.RoundRatio;
import java.util.Arrays;

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
 * measured in one run: the same training with and without the listener, in blocks rotated from
 * round to round, timed by the training thread's CPU time; printed as the per-round ratio's mean with
 * its approximate 95% interval, next to an A/A control (a second plain run) that shows the bias and
 * noise of the method itself. Asserted: the listener's cost net of that control (per round, the listener's
 * time less the control's, over plain; median) is at most 1% of training, and its interval is narrower
 * than 1%. Run with
 * {@code mvn test -Pbench -Dtest=AdaptiveDecayOverheadBenchmark}.
 */
@Tag("bench")
class AdaptiveDecayOverheadBenchmark {
    static final int BLOCK = 4;
    static final int BLOCKS = 1200;

    @Test
    void printsTheListenersShareOfATrainingIteration() {
        ScenarioConfig config = ScenarioConfig.seedCollapse();
        ScenarioRun plain = ScenarioRun.start(config);
        ScenarioRun control = ScenarioRun.start(config);
        ScenarioRun adapted = ScenarioRun.start(config);
        AdaptiveDecay listener = AdaptiveDecay.builder().build();
        adapted.graph().addListeners(listener);
        InterleavedTraining.warmUp(plain, adapted);
        control.train(InterleavedTraining.WARMUP);
        long[][] cpu = InterleavedTraining.cpuNanos(BLOCKS, BLOCK, plain, control, adapted);
        int n = BLOCK * cpu[0].length;
        RoundRatio.Median net = RoundRatio.netMedian(cpu[2], cpu[1], cpu[0]);
        try (RecordWriter.Section record = RecordWriter.section("AdaptiveDecayOverheadBenchmark")) {
            System.out.printf(Locale.ROOT, "%nAdaptiveDecay overhead (seed scenario, %d of %d rounds of %d iterations per arm kept"
                            + " (no collection in or just before them) after %d warm-up, every=%d, %s, CPU time of the training"
                            + " thread, arms rotated):%n", cpu[0].length, BLOCKS, BLOCK, InterleavedTraining.WARMUP, listener.every(),
                    System.getenv().getOrDefault("OMP_NUM_THREADS", "default threads"));
            System.out.printf(Locale.ROOT, "  per iteration: %.2f ms plain, %.2f ms with the listener%n",
                    Arrays.stream(cpu[0]).sum() / 1e6 / n, Arrays.stream(cpu[2]).sum() / 1e6 / n);
            System.out.println("  with the listener over plain: " + RoundRatio.percent(cpu[2], cpu[0])
                    + "; " + RoundRatio.medianPercent(cpu[2], cpu[0]));
            System.out.println("  A/A control (a second plain run): " + RoundRatio.percent(cpu[1], cpu[0])
                    + "; " + RoundRatio.medianPercent(cpu[1], cpu[0]));
            System.out.println("  net of the A/A control (per round, with the listener less the control, over plain): " + net);
        }
        assertThat(net.width()).as("width of the net cost's interval").isLessThan(0.01);
        assertThat(net.value()).as("the listener's net share of training time").isLessThanOrEqualTo(0.01);
        assertThat(listener.history()).hasSize(Math.min(AdaptiveDecay.DEFAULT_HISTORY,
                (InterleavedTraining.WARMUP + BLOCK * BLOCKS) / listener.every()));
    }
}
