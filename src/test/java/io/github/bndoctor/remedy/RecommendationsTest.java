package io.github.bndoctor.remedy;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.Verdict;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The advice for each verdict, with the numbers it quotes worked out by hand. */
@Tag("unit")
class RecommendationsTest {
    private static LayerCheckpoint layer(double priorWeight, double rotation) {
        return new LayerCheckpoint(new LayerDecomposition("bn", 10, priorWeight, 1, 0.5, 0.5, 0, 0, 0), rotation,
                Double.NaN);
    }

    private static Checkpoint cp(Verdict v, LayerCheckpoint... layers) {
        return new Checkpoint(300, new OutputGap(1, 8, 1.25), List.of(layers), v);
    }

    @Test
    void eachVerdictGetsItsAdvice() {
        assertThat(Recommendations.from(cp(Verdict.HEALTHY), cp(Verdict.HEALTHY), 0.9)).singleElement().asString()
                .startsWith("No action needed");
        assertThat(Recommendations.from(cp(Verdict.BATCH_NOISE), cp(Verdict.BATCH_NOISE), 0.9)).singleElement()
                .asString().contains("larger batches");
        assertThat(Recommendations.from(cp(Verdict.DIVERGED), cp(Verdict.DIVERGED), 0.9)).singleElement()
                .asString().startsWith("Training-mode loss itself is bad");
        assertThat(Recommendations.from(cp(Verdict.EMA_WARMUP, layer(0.125, 1)), cp(Verdict.EMA_WARMUP), 0.9))
                .singleElement().asString().contains("weight d^n = 0.125 at iteration 300", "WarmStart.apply");
        assertThat(Recommendations.from(cp(Verdict.EMA_WARMUP), cp(Verdict.EMA_WARMUP), 0.9)).singleElement()
                .asString().contains("weight d^n = NaN");
    }

    @Test
    void lagAdviceQuotesLossesRotationAndTheDecayThatKeepsTheLagInBudget() {
        // median rotation of {1, 3} (NaN left out) = 2 deg/iteration; at decay 0.99 the lag is 2 x 99 = 198 deg;
        // budget 5 deg: d = 5 / (5 + 2) = 0.7143
        Checkpoint c = cp(Verdict.EMA_LAG, layer(0, 1), layer(0, Double.NaN), layer(0, 3));
        List<String> advice = Recommendations.from(c, c, 0.99);
        assertThat(advice).hasSize(3);
        assertThat(advice.get(0)).contains("at iteration 300", "precise statistics gave loss 1.250 vs 8.000");
        assertThat(advice.get(1)).contains("turn 2.00 deg/iteration", "decay 0.9900 predicts a 198 deg lag",
                "decay <= 0.7143 to keep it under 5 deg");
        assertThat(advice.get(2)).contains("Adam 1e-4");
        // no known rotation: no decay advice
        Checkpoint unknown = cp(Verdict.EMA_LAG, layer(0, Double.NaN));
        assertThat(Recommendations.from(unknown, unknown, 0.99)).hasSize(2);
        Checkpoint still = cp(Verdict.EMA_LAG, layer(0, 0));
        assertThat(Recommendations.from(still, still, 0.99)).hasSize(2);
    }

    @Test
    void anUnhealthyLastCheckpointIsMentionedAfterAHealthyWorst() {
        Checkpoint healthy = cp(Verdict.HEALTHY);
        assertThat(Recommendations.from(healthy, cp(Verdict.EMA_WARMUP), 0.9)).hasSize(2).last().asString()
                .isEqualTo("The last checkpoint is not healthy: EMA_WARMUP");
        assertThat(Recommendations.from(healthy, cp(Verdict.HEALTHY), 0.9)).hasSize(1);
        assertThat(Recommendations.from(healthy, healthy, 0.9)).hasSize(1);
        assertThat(Recommendations.from(cp(Verdict.BATCH_NOISE), cp(Verdict.EMA_LAG), 0.9)).hasSize(1);
    }

    @Test
    void largestDecayWithinBudget() {
        // w d / (1 - d) = B at d = B / (B + w)
        assertThat(Recommendations.largestDecayWithinBudget(1, 3)).isCloseTo(0.75, within(1e-15));
        assertThat(Recommendations.DEFAULT_LAG_BUDGET_DEGREES).isEqualTo(5.0);
        assertThatThrownBy(() -> Recommendations.largestDecayWithinBudget(1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be positive");
        assertThatThrownBy(() -> Recommendations.largestDecayWithinBudget(Double.NaN, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Recommendations.largestDecayWithinBudget(1, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Recommendations.largestDecayWithinBudget(Double.MIN_VALUE, 1)).isEqualTo(1.0);
        // a rotation of exactly 0 is refused (no decay bounds a lag that does not grow)
        assertThatThrownBy(() -> Recommendations.largestDecayWithinBudget(0, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A checkpoint of one layer with unknown decay, so within the warm-up window exactly when its prior weight exceeds e^-1. */
    private static Checkpoint at(long it, double evalToTrain, double priorWeight, Verdict v) {
        return new Checkpoint(it, new OutputGap(1, evalToTrain, 1), List.of(new LayerCheckpoint(
                new LayerDecomposition("bn", it, priorWeight, 1, 0.5, 0.5, 0, 0, 0), Double.NaN, Double.NaN)), v);
    }

    @Test
    void aHealthyVerdictNamesTheUnhealthyWarmUpCheckpointsOnly() {
        List<Checkpoint> run = List.of(at(100, 3, 0.9, Verdict.EMA_WARMUP), at(200, 1.1, 0.1, Verdict.HEALTHY),
                at(300, 1.2, 0.01, Verdict.HEALTHY));
        List<String> rec = Recommendations.from(run, run.get(2), 0.9);
        assertThat(rec.get(0)).startsWith("Over the run: ");
        assertThat(rec.get(1)).startsWith("No action needed now").contains("only at iterations [100], while");
        assertThat(rec).noneMatch(s -> s.contains("Inference is broken"));
        // healthy throughout: the plain advice
        List<Checkpoint> healthy = List.of(at(100, 1.1, 0.9, Verdict.HEALTHY), at(200, 1.2, 0.1, Verdict.HEALTHY));
        assertThat(Recommendations.from(healthy, healthy.get(1), 0.9).get(1))
                .startsWith("No action needed: inference-mode loss stayed within the gap threshold");
    }

    @Test
    void aWarmUpVerdictPastItsWindowNoLongerExcusesTheGap() {
        // prior weight 0.2 <= e^-1: the window has passed; eval/train 3 at the only checkpoint: broken, persistently
        List<Checkpoint> past = List.of(at(100, 3, 0.2, Verdict.EMA_WARMUP));
        List<String> rec = Recommendations.from(past, past.get(0), 0.99);
        assertThat(rec.get(1)).isEqualTo("Inference is broken: eval/train above 2 at 1 of 1 checkpoints, past the warm-up"
                + " window from iteration 100 on; the gate fails.");
        assertThat(rec.get(2)).startsWith("Moving statistics still carry part of their initial prior (weight 0.200 at"
                + " iteration 100), but the EMA window 1/(1-d) has passed");
        // prior weight 0.9 > e^-1: still within the window, the warm-up explains the gap and nothing is broken yet
        List<Checkpoint> within = List.of(at(100, 3, 0.9, Verdict.EMA_WARMUP));
        List<String> early = Recommendations.from(within, within.get(0), 0.99);
        assertThat(early.get(1)).startsWith("Moving statistics still carry their initial prior (weight d^n = 0.900");
        assertThat(early).noneMatch(s -> s.contains("no longer excuses") || s.contains("Inference is broken"));
        // a lag verdict past the window is not reworded as warm-up
        List<Checkpoint> lag = List.of(at(100, 3, 0.2, Verdict.EMA_LAG));
        assertThat(Recommendations.from(lag, lag.get(0), 0.99)).noneMatch(s -> s.contains("initial prior"));
    }
}
