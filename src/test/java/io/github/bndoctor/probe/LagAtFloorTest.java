package io.github.bndoctor.probe;

import io.github.bndoctor.remedy.AdaptiveDecay;
import io.github.bndoctor.remedy.Recommendations;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Layers that lag even at the shortest window: the criterion at, below and above the budget, the
 * half-of-the-run rule, the remedy-needed rule, and the report's sentence; and the note where the
 * probe was too small to measure the noise cost.
 */
@Tag("unit")
class LagAtFloorTest {
    /** A checkpoint whose 'sum' layer sat at {@code sumDecay} turning {@code sumRotation} deg/iteration; 'stem' at 0.9. */
    static Checkpoint cp(long it, double evalToPrecise, double sumDecay, double sumRotation, double sumNoiseCost) {
        return new Checkpoint(it, new OutputGap(1, evalToPrecise, 1), List.of(
                new LayerCheckpoint(new LayerDecomposition("stem", it, 0, 0.1, 0, 0.1, 0.02, 0, 0), 3.0, 27, Double.NaN,
                        0.9, Double.NaN),
                new LayerCheckpoint(new LayerDecomposition("sum", it, 0, 0.1, 0, 0.1, 0.02, 0, 0), sumRotation,
                        sumRotation * sumDecay / (1 - sumDecay), Double.NaN, sumDecay, sumNoiseCost)),
                evalToPrecise > 1.5 ? Verdict.EMA_LAG : Verdict.HEALTHY);
    }

    @Test
    void aLayerAtTheFloorLagsWhenItsWeightsTurnMoreThanTheBudgetInOneIteration() {
        double b = 0.5;
        // mean age 1 at decay 0.5: the lag is the rotation of one iteration; strictly above the budget
        assertThat(LagAtFloor.of(List.of(cp(100, 3, 0.5, b, 1.0)), b)).isEmpty();
        assertThat(LagAtFloor.of(List.of(cp(100, 3, 0.5, Math.nextDown(b), 1.0)), b)).isEmpty();
        List<LagAtFloor> above = LagAtFloor.of(List.of(cp(100, 3, 0.5, Math.nextUp(b), 1.0)), b);
        // 'stem' turns 3 deg/iteration but sits at 0.9, far from the floor: a longer window is its own choice
        assertThat(above).extracting(LagAtFloor::layer).containsExactly("sum");
        assertThat(above.get(0).decay()).isEqualTo(0.5);
        // at the edge of "near the floor" (2/3, mean age 2) still judged; just above it not
        assertThat(LagAtFloor.of(List.of(cp(100, 3, NoiseCost.NEAR_FLOOR_DECAY, 1.0, 1.0)), b)).hasSize(1);
        assertThat(LagAtFloor.of(List.of(cp(100, 3, Math.nextUp(NoiseCost.NEAR_FLOOR_DECAY), 1.0, 1.0)), b)).isEmpty();
        // the median over the near-floor checkpoints (0.2, 0.6, 1.2 -> 0.6 > 0.5)
        assertThat(LagAtFloor.of(List.of(cp(100, 3, 0.5, 0.2, 1), cp(200, 1, 0.5, 1.2, 1), cp(300, 1, 0.5, 0.6, 1)), b))
                .singleElement().extracting(LagAtFloor::rotationDegPerIter).isEqualTo(0.6);
        // (0.2, 0.4, 3.0 -> 0.4): one burst does not make it
        assertThat(LagAtFloor.of(List.of(cp(100, 3, 0.5, 0.2, 1), cp(200, 1, 0.5, 3.0, 1), cp(300, 1, 0.5, 0.4, 1)), b))
                .isEmpty();
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> LagAtFloor.of(List.of(), bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void onlyWhereTheFloorIsTheLayersRegimeAndTheRunNeededARemedy() {
        List<Checkpoint> half = new ArrayList<>();
        half.add(cp(100, 3, 0.5, 2, 1));
        half.add(cp(200, 1, 0.9, 2, Double.NaN));
        // near the floor at 1 of 2 checkpoints: half the run, judged
        assertThat(LagAtFloor.of(half, 0.5)).singleElement().satisfies(l -> {
            assertThat(l.nearFloor()).isEqualTo(1);
            assertThat(l.checkpoints()).isEqualTo(2);
        });
        half.add(cp(300, 1, 0.9, 2, Double.NaN));
        // 1 of 3: a burst, not its regime
        assertThat(LagAtFloor.of(half, 0.5)).isEmpty();
        // no checkpoint's eval/precise above 1.5: nothing to remedy
        assertThat(LagAtFloor.of(List.of(cp(100, NoiseLimit.EVAL_PRECISE_BOUND, 0.5, 2, 1)), 0.5)).isEmpty();
        assertThat(LagAtFloor.of(List.of(cp(100, Math.nextUp(NoiseLimit.EVAL_PRECISE_BOUND), 0.5, 2, 1)), 0.5)).hasSize(1);
    }

    @Test
    void theRecommendationsNameTheLayerAsLaggingNotAsNoiseLimited() {
        List<Checkpoint> run = List.of(cp(100, 3, 0.5, 1.2, 1.05), cp(200, 2, 0.5, 1.1, 1.1));
        List<String> rec = Recommendations.from(run, run.get(0), 0.5, 8);
        assertThat(rec).filteredOn(s -> s.contains(LagAtFloor.NAMED)).singleElement().asString()
                .contains("Layer 'sum'", "decay sat at 0.5", "1.15 deg per iteration",
                        String.format(java.util.Locale.ROOT, "%.3f-degree budget", AdaptiveDecay.DEFAULT_BUDGET_DEG), "no decay >= 0.5", "recalibrate",
                        "ProjectedStatistics")
                .doesNotContain("noise-limited", "'stem'");
        // its measured noise cost (1.05, 1.1) is below the bound: not called noise-limited
        assertThat(rec).noneMatch(s -> s.contains("noise-limited"));
    }

    @Test
    void aProbeTooSmallToMeasureTheNoiseCostIsSaid() {
        // 'sum' near the floor, never measured (NaN), probe of 2 training batches: said, with the sizes
        List<Checkpoint> unmeasured = List.of(cp(100, 3, 0.5, 0.1, Double.NaN));
        assertThat(NoiseLimit.unmeasured(unmeasured, 2)).hasValueSatisfying(s -> assertThat(s)
                .contains("'sum'", "not measured", "holds 2 training batches", "needs 4")
                .doesNotContain("'stem'", "noise-limited"));
        // four training batches (two per half) are enough: nothing to say; three and a half are not
        assertThat(NoiseLimit.unmeasured(unmeasured, 4)).isEmpty();
        assertThat(NoiseLimit.unmeasured(unmeasured, 3.5)).hasValueSatisfying(s -> assertThat(s)
                .contains("holds 3 training batches"));
        // measured somewhere, or never near the floor: nothing to say
        assertThat(NoiseLimit.unmeasured(List.of(cp(100, 3, 0.5, 0.1, 1.2), cp(200, 3, 0.5, 0.1, Double.NaN)), 2))
                .isEmpty();
        assertThat(NoiseLimit.unmeasured(List.of(cp(100, 3, 0.9, 0.1, Double.NaN)), 2)).isEmpty();
        assertThat(Recommendations.from(unmeasured, unmeasured.get(0), 0.5, 2)).anyMatch(s -> s.contains("not measured"));
        assertThatThrownBy(() -> NoiseLimit.unmeasured(List.of(), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSentenceNamesTheMeanAgeAtTheFloor() {
        // decay 0.5: mean age d/(1-d) = 1 iteration; at 2/3 (the edge of the floor's neighbourhood) 2
        assertThat(LagAtFloor.of(List.of(cp(100, 3, 0.5, 2, 1)), 0.5)).singleElement().extracting(LagAtFloor::describe)
                .asString().contains("decay sat at 0.500 (mean age 1.0 iterations)", "at 1 of 1 checkpoints", "turned 2.00 deg");
        assertThat(LagAtFloor.of(List.of(cp(100, 3, 0.6, 2, 1)), 0.5)).singleElement().extracting(LagAtFloor::describe)
                .asString().contains("decay sat at 0.600 (mean age 1.5 iterations)");
    }

    /** A checkpoint whose layers 'a' and 'b' sit at the given decays, their noise cost never measured. */
    private static Checkpoint two(double decayA, double decayB) {
        return new Checkpoint(100, new OutputGap(1, 3, 1), List.of(
                new LayerCheckpoint(new LayerDecomposition("a", 100, 0, 0.1, 0, 0.1, 0.02, 0, 0), 1, 1, Double.NaN,
                        decayA, Double.NaN),
                new LayerCheckpoint(new LayerDecomposition("b", 100, 0, 0.1, 0, 0.1, 0.02, 0, 0), 1, 1, Double.NaN,
                        decayB, Double.NaN)), Verdict.EMA_LAG);
    }

    @Test
    void theUnmeasuredNoteCountsLayersAndBatchesInWords() {
        // two layers near the floor, one of them exactly at its edge 2/3: "their"; a probe of one training batch: "batch"
        assertThat(NoiseLimit.unmeasured(List.of(two(0.5, NoiseCost.NEAR_FLOOR_DECAY)), 1)).hasValueSatisfying(s ->
                assertThat(s).contains("'a', 'b'", "their decay sat at or below 0.667", "holds 1 training batch and",
                        "needs 4"));
        // one layer: "its"; just above the edge, the other is not named
        assertThat(NoiseLimit.unmeasured(List.of(two(0.5, Math.nextUp(NoiseCost.NEAR_FLOOR_DECAY))), 2))
                .hasValueSatisfying(s -> assertThat(s).contains("'a' was not measured: its decay", "holds 2 training batches")
                        .doesNotContain("'b'"));
        assertThatThrownBy(() -> NoiseLimit.unmeasured(List.of(), Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NoiseLimit.unmeasured(List.of(), Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
