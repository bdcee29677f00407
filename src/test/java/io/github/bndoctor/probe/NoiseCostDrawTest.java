package io.github.bndoctor.probe;

import io.github.bndoctor.stats.MeanVariance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The bootstrap EMA of {@link NoiseCost}: its weights against the closed form {@code (1-d) d^k}, and
 * the spread of its draws against the stationary EMA error {@code sqrt((1-d)/(1+d))} times the batch
 * statistics' spread (the closed form of {@link NoiseLimit#floor}), checked on batches whose mean and
 * spread are known by construction.
 */
@Tag("unit")
class NoiseCostDrawTest {
    @Test
    void theWeightsAreTheEmasTruncatedWhereTheTailIsNegligible() {
        for (double d : new double[] {0, 0.5, 2.0 / 3}) {
            double[] w = NoiseCost.weights(d);
            double sum = 0;
            for (double x : w) {
                sum += x;
            }
            assertThat(sum).isCloseTo(1, within(1e-12)); // renormalised; 1e-12: a few dozen float-free additions
            // (1-d) d^k up to the renormalisation, which changes them by less than the dropped tail 1e-6 relative
            for (int k = 0; k < w.length; k++) {
                assertThat(w[k]).isCloseTo((1 - d) * Math.pow(d, k), within(2e-6 * (1 - d) * Math.pow(d, k) + 1e-300));
            }
            // the last kept term is at least the tail, the next one is below it
            assertThat(Math.pow(d, w.length - 1)).isGreaterThanOrEqualTo(NoiseCost.TAIL);
            assertThat(Math.pow(d, w.length)).isLessThan(NoiseCost.TAIL);
        }
        assertThat(NoiseCost.weights(0)).containsExactly(1.0);
        for (double bad : new double[] {-0.1, 1, Double.NaN}) {
            assertThatThrownBy(() -> NoiseCost.weights(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aDrawSpreadsAsTheStationaryEmaAroundTheBatchesAverage() {
        // 16 batches whose means are +-1 (half each, mean 0, spread 1) and variances 1 or 3 (mean 2, spread 1)
        List<MeanVariance> batches = new java.util.ArrayList<>();
        for (int j = 0; j < 16; j++) {
            batches.add(new MeanVariance(new double[] {j % 2 == 0 ? 1 : -1}, new double[] {j % 4 < 2 ? 1 : 3}));
        }
        SplittableRandom rng = new SplittableRandom(11);
        for (double d : new double[] {0.5, 2.0 / 3}) {
            double[] w = NoiseCost.weights(d);
            int n = 40_000;
            double sm = 0;
            double sm2 = 0;
            double sv = 0;
            double minV = Double.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                MeanVariance s = NoiseCost.draw(batches, w, rng);
                sm += s.mean()[0];
                sm2 += s.mean()[0] * s.mean()[0];
                sv += s.variance()[0];
                minV = Math.min(minV, s.variance()[0]);
            }
            double rms = Math.sqrt(sm2 / n);
            double expected = Math.sqrt((1 - d) / (1 + d)); // stationary EMA error over unit-spread draws
            // standard error of a mean of 40,000 draws of spread <= 0.58: 0.003; bound 0.015
            assertThat(sm / n).isCloseTo(0, within(0.015));
            assertThat(sv / n).isCloseTo(2, within(0.015));
            // RMS of 40,000 draws: relative standard error ~ sqrt(kurtosis-ish/n) < 1%; bound 3%
            assertThat(rms).isCloseTo(expected, within(0.03 * expected));
            // a convex combination of the batch variances: never below the smallest
            assertThat(minV).isGreaterThanOrEqualTo(1 - 1e-12);
        }
    }

    @Test
    void aTermWhoseWeightIsExactlyTheTailIsKept() {
        // d = TAIL: d^0 = 1 and d^1 = TAIL exactly (the same double), d^2 = 1e-12 below it: two terms, 1 : TAIL
        double[] w = NoiseCost.weights(NoiseCost.TAIL);
        assertThat(w).hasSize(2);
        // renormalised by 1 + TAIL: one rounding each
        assertThat(w[0]).isCloseTo(1 / (1 + NoiseCost.TAIL), within(1e-16));
        assertThat(w[1]).isCloseTo(NoiseCost.TAIL / (1 + NoiseCost.TAIL), within(1e-22));
        // just below the tail: the second term is dropped
        assertThat(NoiseCost.weights(Math.nextDown(NoiseCost.TAIL))).containsExactly(1.0);
    }

    @Test
    void aDrawWithGivenPicksIsTheWeightedSumOfThePickedBatches() {
        // means and variances not symmetric about 0 (a sign or a reciprocal would show)
        List<MeanVariance> batches = List.of(new MeanVariance(new double[] {3, -2}, new double[] {4, 0.5}),
                new MeanVariance(new double[] {5, 1}, new double[] {2, 8}));
        double[] w = {0.5, 0.25, 0.25};
        MeanVariance s = NoiseCost.draw(batches, w, new int[] {1, 0, 1});
        // direct: 0.5 b1 + 0.25 b0 + 0.25 b1 = 0.75 b1 + 0.25 b0, exact in binary
        assertThat(s.mean()).containsExactly(0.75 * 5 + 0.25 * 3, 0.75 * 1 + 0.25 * -2);
        assertThat(s.variance()).containsExactly(0.75 * 2 + 0.25 * 4, 0.75 * 8 + 0.25 * 0.5);
    }
}
