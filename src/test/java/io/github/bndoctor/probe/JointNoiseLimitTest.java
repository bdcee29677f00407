package io.github.bndoctor.probe;

import io.github.bndoctor.remedy.Recommendations;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Layers noise-limited together: judged only at checkpoints whose inference needed the remedy precise
 * statistics give, past warm-up; the bound; the median; the order the layers are named in; the
 * report's sentence.
 */
@Tag("unit")
class JointNoiseLimitTest {
    /** Layer 'a' at decay 0.6 (batch spread 0.2), 'b' at 0.8 (0.1); eval/train = eval/precise. */
    private static Checkpoint cp(long it, double evalToPrecise, Verdict v, double joint, double priorWeight) {
        return new Checkpoint(it, new OutputGap(1, evalToPrecise, 1), List.of(
                new LayerCheckpoint(new LayerDecomposition("b", it, priorWeight, 0.1, 0, 0.1, 0.1, 0, 0), 0.1, 0.4,
                        Double.NaN, 0.8, Double.NaN),
                new LayerCheckpoint(new LayerDecomposition("a", it, priorWeight, 0.1, 0, 0.1, 0.2, 0, 0), 0.1, 0.15,
                        Double.NaN, 0.6, 1.1)), v, joint);
    }

    private static Checkpoint lag(long it, double evalToPrecise, double joint) {
        return cp(it, evalToPrecise, Verdict.EMA_LAG, joint, 0);
    }

    @Test
    void namedWhereTheJointCostMeetsTheBoundAtTheCheckpointsThatNeededTheRemedy() {
        JointNoiseLimit j = JointNoiseLimit.of(List.of(lag(100, 1.2, Double.NaN), lag(600, 2.1, 1.6)), 1).orElseThrow();
        assertThat(j.cost()).isEqualTo(1.6);
        assertThat(j.iterations()).containsExactly(600L);
        assertThat(j.worstEvalPrecise()).isEqualTo(2.1);
        // named by their EMA noise at their windows: a 0.2 sqrt(0.4/1.6) = 0.1, b 0.1 sqrt(0.2/1.8) = 0.033
        assertThat(j.layers().keySet()).containsExactly("a", "b");
        assertThat(j.layers().get("a")).isCloseTo(0.1, within(1e-12));
        assertThat(j.layers().get("b")).isCloseTo(0.1 * Math.sqrt(0.2 / 1.8), within(1e-12));
        // the probe four training batches large: the spread scaled by sqrt(4)
        assertThat(JointNoiseLimit.of(List.of(lag(600, 2.1, 1.6)), 4).orElseThrow().layers().get("a"))
                .isCloseTo(0.2, within(1e-12));
        // the bound itself names them; just below it does not
        assertThat(JointNoiseLimit.of(List.of(lag(600, 2.1, NoiseLimit.OUTPUT_COST_BOUND)), 1)).isPresent();
        assertThat(JointNoiseLimit.of(List.of(lag(600, 2.1, Math.nextDown(NoiseLimit.OUTPUT_COST_BOUND))), 1)).isEmpty();
        // the median over the judged checkpoints: (1.2, 1.6, 1.7) -> 1.6 named, (1.2, 1.4, 2.0) -> 1.4 not
        assertThat(JointNoiseLimit.of(List.of(lag(100, 2, 1.2), lag(200, 2, 1.6), lag(300, 2, 1.7)), 1)).isPresent();
        assertThat(JointNoiseLimit.of(List.of(lag(100, 2, 1.2), lag(200, 2, 1.4), lag(300, 2, 2.0)), 1)).isEmpty();
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> JointNoiseLimit.of(List.of(), bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void healthyWarmupNoisyOrUnmeasuredCheckpointsAreNotJudged() {
        // eval/train within the gap ratio: healthy, whatever the joint cost says
        assertThat(JointNoiseLimit.of(List.of(cp(600, 1.4, Verdict.HEALTHY, 3, 0)), 1)).isEmpty();
        // precise statistics do not recover training mode: not a remedy recalibration gives
        assertThat(JointNoiseLimit.of(List.of(cp(600, 2.1, Verdict.BATCH_NOISE, 3, 0)), 1)).isEmpty();
        assertThat(JointNoiseLimit.of(List.of(cp(600, 2.1, Verdict.DIVERGED, 3, 0)), 1)).isEmpty();
        // within the warm-up window (the prior still holds more than e^-1)
        assertThat(JointNoiseLimit.of(List.of(cp(600, 2.1, Verdict.EMA_WARMUP, 3, 0.5)), 1)).isEmpty();
        assertThat(JointNoiseLimit.of(List.of(cp(600, 2.1, Verdict.EMA_WARMUP, 3, 0)), 1)).isPresent();
        // eval/precise at the bound: no remedy needed
        assertThat(JointNoiseLimit.of(List.of(lag(600, NoiseLimit.EVAL_PRECISE_BOUND, 3)), 1)).isEmpty();
        // not measured (no decay at most 2/3)
        assertThat(JointNoiseLimit.of(List.of(lag(600, 2.1, Double.NaN)), 1)).isEmpty();
    }

    @Test
    void theReportSaysTheLayersTogetherAreNoiseLimitedAndWhatWorks() {
        List<Checkpoint> run = List.of(lag(100, 1.2, 1.1), lag(600, 2.1, 1.6));
        String said = String.join(" ", Recommendations.from(run, run.get(1), 0.997, 1));
        assertThat(said).contains("The BN layers together are noise-limited: at iteration 600, where eval/precise"
                + " reached 2.10").contains("'a' (0.10), 'b' (0.033)").contains("~1.60 (median over 1 checkpoint")
                .contains("the rest of the gap is lag").contains("Recalibrate before export");
        // one layer at most 2/3 measured alone at 1.1: the per-layer judgement names nothing
        assertThat(NoiseLimit.of(run)).isEmpty();
    }

    @Test
    void theReportsCheckpointEntryCarriesTheJointCost() {
        Checkpoint measured = lag(600, 2.1, 1.6);
        assertThat(io.github.bndoctor.report.ReportAssembler.checkpoint(measured, measured.gap()).jointNoiseCost())
                .isEqualTo(1.6);
        Checkpoint not = lag(600, 2.1, Double.NaN);
        assertThat(io.github.bndoctor.report.ReportAssembler.checkpoint(not, not.gap()).jointNoiseCost()).isNull();
        assertThat(new Checkpoint(1, not.gap(), not.layers(), Verdict.EMA_LAG).jointNoiseCost()).isNaN();
    }

    /** A checkpoint with one layer per decay, each with batch spread 0.1, judged as lag at eval/precise 2.1. */
    private static Checkpoint layersAt(long it, double joint, double... decays) {
        List<LayerCheckpoint> ls = new java.util.ArrayList<>();
        for (int k = 0; k < decays.length; k++) {
            ls.add(new LayerCheckpoint(new LayerDecomposition("l" + k, it, 0, 0.1, 0, 0.1, 0.1 * (k + 1), 0, 0), 0.1, 0.1,
                    Double.NaN, decays[k], Double.NaN));
        }
        return new Checkpoint(it, new OutputGap(1, 2.1, 1), ls, Verdict.EMA_LAG, joint);
    }

    @Test
    void aCheckpointWithoutAJointCostIsLeftOutNotCountedAsNoise() {
        JointNoiseLimit j = JointNoiseLimit.of(List.of(lag(600, 2.1, Double.NaN), lag(700, 2.1, 1.6)), 1).orElseThrow();
        assertThat(j.iterations()).containsExactly(700L);
        assertThat(j.cost()).isEqualTo(1.6);
    }

    @Test
    void movingLayersFromDecayZeroUpToButNotIncludingOneAreCounted() {
        // decays 0, 0.5 and 0.9 move (0.9^600 is past the warm-up window); 1 does not (frozen) and is neither
        // named nor in the range
        JointNoiseLimit j = JointNoiseLimit.of(List.of(layersAt(600, 1.6, 0, 0.5, 0.9, 1)), 1).orElseThrow();
        assertThat(j.layers().keySet()).containsExactlyInAnyOrder("l0", "l1", "l2");
        assertThat(j.decayRange()).containsExactly(0, 0.9);
    }

    @Test
    void theSentenceCountsIterationsAndLayersAndNamesTheLagOnlyAboveTheNoise() {
        // two checkpoints, four moving layers: three named, one counted; worst eval/precise 2.1 above the cost 1.6
        List<Checkpoint> run = List.of(layersAt(600, 1.6, 0.5, 0.5, 0.5, 0.5), layersAt(700, 1.6, 0.5, 0.5, 0.5, 0.5));
        String many = JointNoiseLimit.of(run, 1).orElseThrow().describe();
        assertThat(many).contains("at iterations [600, 700]").contains("(median over 2 checkpoints,")
                .contains("all 4 moving BN layers").contains("'l1' (0.12) and 1 more.").contains("the rest of the gap is lag");
        // one checkpoint, three layers, the cost equal to the worst eval/precise: singular, nothing counted, no lag
        String one = JointNoiseLimit.of(List.of(layersAt(600, 2.1, 0.5, 0.5, 0.5)), 1).orElseThrow().describe();
        assertThat(one).contains("at iteration 600,").contains("(median over 1 checkpoint,")
                .contains("all 3 moving BN layers").doesNotContainPattern("and \\d+ more")
                .doesNotContain("the rest of the gap is lag");
        // one ulp of cost below the worst eval/precise: the rest is lag
        assertThat(JointNoiseLimit.of(List.of(layersAt(600, Math.nextDown(2.1), 0.5)), 1).orElseThrow().describe())
                .contains("the rest of the gap is lag");
    }
}
