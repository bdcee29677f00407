package io.github.bndoctor.probe;

import io.github.bndoctor.remedy.Recommendations;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Noise-limited layers: the EMA noise floor {@code sqrt((1-d)/(1+d))} against a direct simulation
 * of an EMA over independent batch errors, and the criterion at, below and above its bound.
 */
@Tag("unit")
class NoiseLimitTest {
    static Checkpoint cp(long it, double evalToPrecise, double spreadDense, double spreadConv) {
        return new Checkpoint(it, new OutputGap(1, evalToPrecise, 1), List.of(
                new LayerCheckpoint(new LayerDecomposition("conv", it, 0, 0.1, 0, 0.1, spreadConv, 0, 0), 0.1, 1),
                new LayerCheckpoint(new LayerDecomposition("dense", it, 0, 0.1, 0, 0.1, spreadDense, 0, 0), 0.1, 1)),
                evalToPrecise > 1.5 ? Verdict.EMA_LAG : Verdict.HEALTHY);
    }

    @Test
    void theFloorIsTheStationaryErrorOfAnEmaOverIndependentBatchErrors() {
        Random r = new Random(7);
        for (double d : new double[] {0.5, 0.9}) {
            // direct route: m_t = d m_{t-1} + (1-d) e_t with e_t ~ N(0, 1), RMS of m after burn-in
            double m = 0;
            double sum2 = 0;
            int n = 400_000;
            for (int t = 0; t < n + 1000; t++) {
                m = d * m + (1 - d) * r.nextGaussian();
                if (t >= 1000) {
                    sum2 += m * m;
                }
            }
            double rms = Math.sqrt(sum2 / n);
            // standard error of an RMS over n correlated samples, effective n(1-d)/(1+d) >= 21,000: < 1%; 3% bound
            assertThat(NoiseLimit.floor(1, d)).isCloseTo(rms, within(0.03 * rms));
        }
        assertThatThrownBy(() -> NoiseLimit.floor(1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLayerIsNoiseLimitedStrictlyAboveTheBound() {
        double at = NoiseLimit.DISTANCE_BOUND * Math.sqrt(3); // floor exactly 0.5 at decay 0.5
        assertThat(NoiseLimit.floor(at, 0.5)).isCloseTo(0.5, within(1e-15));
        assertThat(NoiseLimit.of(List.of(cp(100, 3, Math.nextDown(at) * 0.999999, 0.02)))).isEmpty();
        assertThat(NoiseLimit.of(List.of(cp(100, 3, at * 1.000001, 0.02)))).extracting(NoiseLimit::layer)
                .containsExactly("dense");
        // the median over checkpoints: one wide batch does not make a layer noise-limited
        assertThat(NoiseLimit.of(List.of(cp(100, 3, 2, 0.02), cp(200, 3, 0.3, 0.02), cp(300, 3, 0.3, 0.02)))).isEmpty();
        // nothing to say over a run that needed no remedy (eval/precise <= 1.5 throughout)
        assertThat(NoiseLimit.of(List.of(cp(100, 1.5, 2, 0.02)))).isEmpty();
        assertThat(NoiseLimit.of(List.of(cp(100, 1.5, 2, 0.02), cp(200, 1.6, 2, 0.02)))).hasSize(1);
        // a probe of 8 training batches shows 1/sqrt(8) of the spread: scaled back, just above the bound
        double probeSpread = at / Math.sqrt(8);
        assertThat(NoiseLimit.of(List.of(cp(100, 3, probeSpread * 1.000001, 0.02)))).isEmpty();
        assertThat(NoiseLimit.of(List.of(cp(100, 3, probeSpread * 1.000001, 0.02)), 8)).extracting(NoiseLimit::layer)
                .containsExactly("dense");
        assertThat(NoiseLimit.of(List.of(cp(100, 3, probeSpread * 0.999999, 0.02)), 8)).isEmpty();
        // a probe half a training batch overstates the spread by sqrt(2): scaled down, just below the bound
        assertThat(NoiseLimit.of(List.of(cp(100, 3, at * Math.sqrt(2) * 0.999999, 0.02)), 0.5)).isEmpty();
        assertThat(NoiseLimit.of(List.of(cp(100, 3, at * Math.sqrt(2) * 1.000001, 0.02)), 0.5)).hasSize(1);
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> NoiseLimit.of(List.of(), bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** A checkpoint whose dense layer sat at decay 0.5 with the given output cost; its spread is far above the distance bound. */
    static Checkpoint measured(long it, double evalToPrecise, double denseCost) {
        return new Checkpoint(it, new OutputGap(1, evalToPrecise, 1), List.of(
                new LayerCheckpoint(new LayerDecomposition("conv", it, 0, 0.1, 0, 0.1, 0.02, 0, 0), 0.1, 1, Double.NaN,
                        0.5, 1.0),
                new LayerCheckpoint(new LayerDecomposition("dense", it, 0, 0.1, 0, 0.1, 5, 0, 0), 0.1, 1, Double.NaN,
                        0.5, denseCost)), Verdict.EMA_LAG);
    }

    @Test
    void whereTheOutputCostWasMeasuredItDecidesAtTheBound() {
        double b = NoiseLimit.OUTPUT_COST_BOUND;
        // at the bound: not named, though the spread 5 is far above the distance criterion's 0.87
        assertThat(NoiseLimit.of(List.of(measured(100, 3, b)))).isEmpty();
        assertThat(NoiseLimit.of(List.of(measured(100, 3, Math.nextDown(b))))).isEmpty();
        List<NoiseLimit> above = NoiseLimit.of(List.of(measured(100, 3, Math.nextUp(b))));
        assertThat(above).extracting(NoiseLimit::layer).containsExactly("dense");
        assertThat(above.get(0).decay()).isEqualTo(0.5);
        assertThat(above.get(0).measured()).isEqualTo(1);
        // the median over the measured checkpoints (1.2, 1.6, 2.0 -> 1.6): one cheap checkpoint does not hide it
        List<NoiseLimit> med = NoiseLimit.of(List.of(measured(100, 3, 1.2), measured(200, 3, 2.0), measured(300, 3, 1.6)));
        assertThat(med).singleElement().extracting(NoiseLimit::outputCost).isEqualTo(1.6);
        // (1.2, 1.4, 3.0 -> 1.4): one costly checkpoint does not make it
        assertThat(NoiseLimit.of(List.of(measured(100, 3, 1.2), measured(200, 3, 3.0), measured(300, 3, 1.4)))).isEmpty();
        assertThat(med.get(0).describe()).contains("Layer 'dense'", "decay sat at 0.5", "~1.6", "no decay >= 0.5",
                "batch size", "recalibrate", "ProjectedStatistics");
    }

    @Test
    void theRecommendationsNameTheLayerWhyAndTheRemedy() {
        List<Checkpoint> run = List.of(cp(100, 4, 1.2, 0.02), cp(200, 6, 1.0, 0.03));
        List<String> rec = Recommendations.from(run, run.get(1), 0.5);
        assertThat(rec).filteredOn(s -> s.contains("noise-limited")).singleElement().asString()
                .contains("Layer 'dense'", "samples per channel per batch", "decay 0.5", "recalibrate",
                        "PreciseBn.recalibrate", "statistics that follow the weights")
                .doesNotContain("'conv'");
    }

    @Test
    void aFloorExactlyAtTheDistanceBoundIsNotNoiseLimited() {
        // the spread whose floor sqrt(1/3) x spread is 0.5 to the last bit, found within a few ulps of 0.5 sqrt(3)
        // ((1 - 0.5) / (1 + 0.5) rounds to the same double as 1.0 / 3)
        double at = Double.NaN;
        for (double b = 0.5 * Math.sqrt(3) - 8 * Math.ulp(1.0); b < 0.5 * Math.sqrt(3) + 8 * Math.ulp(1.0); b = Math.nextUp(b)) {
            if (Math.sqrt(1.0 / 3) * b == NoiseLimit.DISTANCE_BOUND) {
                at = b;
                break;
            }
        }
        assertThat(at).isNotNaN();
        assertThat(NoiseLimit.of(List.of(cp(100, 3, at, 0.02)))).isEmpty();
        double above = Math.nextUp(at);
        assertThat(Math.sqrt(1.0 / 3) * above).isGreaterThan(NoiseLimit.DISTANCE_BOUND);
        assertThat(NoiseLimit.of(List.of(cp(100, 3, above, 0.02)))).singleElement().satisfies(n -> {
            assertThat(n.layer()).isEqualTo("dense");
            assertThat(n.batchSpread()).isEqualTo(above);
            assertThat(n.outputCost()).isNaN();
            assertThat(n.measured()).isZero();
        });
    }

    @Test
    void theFloorAtDecayZeroIsTheSpreadItselfAndANegativeDecayIsRefused() {
        // no averaging: the EMA is the last batch, sqrt(1/1) = 1
        assertThat(NoiseLimit.floor(2, 0)).isEqualTo(2);
        assertThatThrownBy(() -> NoiseLimit.floor(1, -Double.MIN_VALUE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NoiseLimit.floor(1, Math.nextUp(1.0))).isInstanceOf(IllegalArgumentException.class);
        // just below 1: sqrt((1-d)/(1+d)), about sqrt(ulp/2)
        double d = Math.nextDown(1.0);
        assertThat(NoiseLimit.floor(1, d)).isCloseTo(Math.sqrt((1 - d) / 2), within(1e-17));
    }

    @Test
    void aMeasuredLayerNamesItsMeanAge() {
        // decay 0.5: mean age d/(1-d) = 1 iteration
        assertThat(NoiseLimit.of(List.of(measured(100, 3, 2.0)))).singleElement().extracting(NoiseLimit::describe)
                .asString().contains("mean age 1.0 iterations", "~2.00", "median over 1 checkpoints");
    }
}
