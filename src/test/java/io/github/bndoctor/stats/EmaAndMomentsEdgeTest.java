package io.github.bndoctor.stats;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Closed forms and edge cases of the EMA and of the moment accumulator, against values worked
 * out by hand (binary-exact where possible) and direct recursions; 1e-12 is thousands of ulps of
 * the order-1 results, far below any formula slip.
 */
@Tag("unit")
class EmaAndMomentsEdgeTest {
    private static final double TOL = 1e-12;

    @Test
    void runIteratesTheUpdate() {
        // 0.5 * 1 + 0.5 * 3 = 2, then 0.5 * 2 + 0.5 * 6 = 4
        assertThat(Ema.run(1, new double[] {3, 6}, 0.5)).isEqualTo(4.0);
        assertThat(Ema.run(7, new double[0], 0.5)).isEqualTo(7.0);
        assertThat(Ema.window(0.75)).isEqualTo(4.0);
    }

    @Test
    void stationaryVarianceIsTheLimitOfTheTransientOne() {
        // (1 - d)/(1 + d) v: d = 0.5, v = 6 gives 2
        assertThat(Ema.stationaryVariance(6, 0.5)).isCloseTo(2.0, within(TOL));
        assertThat(Ema.variance(6, 0.5, 1000)).isCloseTo(Ema.stationaryVariance(6, 0.5), within(TOL));
        // one step: (1 - d)^2 v = 1.5
        assertThat(Ema.variance(6, 0.5, 1)).isCloseTo(1.5, within(TOL));
        assertThat(Ema.variance(6, 0.5, 0)).isZero();
    }

    @Test
    void stepsUntilPriorWeightIsTheFirstStepAtOrBelowIt() {
        // 0.5^3 = 0.125: exactly three steps; just above 0.125 also three, just below four
        assertThat(Ema.stepsUntilPriorWeight(0.5, 0.125)).isEqualTo(3);
        assertThat(Ema.stepsUntilPriorWeight(0.5, 0.13)).isEqualTo(3);
        assertThat(Ema.stepsUntilPriorWeight(0.5, 0.12)).isEqualTo(4);
        assertThat(Ema.stepsUntilPriorWeight(1, 0.5)).isEqualTo(Long.MAX_VALUE);
        assertThat(Ema.stepsUntilPriorWeight(0.5, Math.nextDown(1.0))).isEqualTo(1);
        for (double bad : new double[] {0, 1, -0.5, Double.NaN}) {
            assertThatThrownBy(() -> Ema.stepsUntilPriorWeight(0.5, bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("weight must be in (0, 1)");
        }
    }

    @Test
    void negativeStepCountsAreRejectedEverywhere() {
        assertThatThrownBy(() -> Ema.priorWeight(0.5, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("number of steps must be >= 0, got -1");
        assertThatThrownBy(() -> Ema.variance(1, 0.5, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Ema.expectedLagUnderDrift(0, 0, 1, 0.5, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Ema.priorWeight(0.5, 0)).isEqualTo(1.0);
    }

    @Test
    void lagUnderDriftFollowsItsRecursion() {
        // L_n = d (L_{n-1} + r) from L_0 = mu0 - m0
        double d = 0.8;
        double r = 0.3;
        double lag = 2.0 - 0.5;
        for (int n = 1; n <= 30; n++) {
            lag = d * (lag + r);
            assertThat(Ema.expectedLagUnderDrift(0.5, 2.0, r, d, n)).as("n=%d", n).isCloseTo(lag, within(TOL));
            assertThat(Ema.expectedValueUnderDrift(0.5, 2.0, r, d, n)).isCloseTo(2.0 + r * n - lag, within(TOL));
        }
        assertThat(Ema.expectedLagUnderDrift(0.5, 2.0, r, d, 0)).isCloseTo(1.5, within(TOL));
        // decay 1: the EMA never moves, the lag grows with the drift
        assertThat(Ema.expectedLagUnderDrift(0.5, 2.0, r, 1, 10)).isCloseTo(1.5 + 3.0, within(TOL));
        assertThat(Ema.steadyLag(r, d)).isCloseTo(r * 4, within(TOL));
    }

    @Test
    void momentsRejectEmptyAndMismatchedInput() {
        assertThatThrownBy(() -> ChannelMoments.empty(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channels must be positive");
        assertThat(ChannelMoments.empty(1).channels()).isEqualTo(1);
        assertThatThrownBy(() -> ChannelMoments.empty(2).biasedVariance()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("need at least 1 samples, have 0");
        assertThatThrownBy(() -> ChannelMoments.ofBatch(new double[] {1}, new double[] {1, 2}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 vs 2");
        assertThatThrownBy(() -> ChannelMoments.ofBatch(new double[0], new double[0], 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChannelMoments.ofBatch(new double[] {1}, new double[] {1}, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count must be positive");
        ChannelMoments one = ChannelMoments.ofBatch(new double[] {1}, new double[] {4}, 1);
        assertThat(one.biasedVariance()).containsExactly(4.0);
        assertThatThrownBy(one::unbiasedVariance).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("need at least 2");
        assertThatThrownBy(() -> one.combine(ChannelMoments.empty(2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channel counts differ");
        assertThatThrownBy(() -> ChannelMoments.ofSamples(new double[0][])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChannelMoments.ofSamples(new double[][] {{1, 2}, {3}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ragged samples: 1 vs 2");
    }

    @Test
    void combiningWithAnEmptyAccumulatorChangesNothing() {
        ChannelMoments a = ChannelMoments.ofBatch(new double[] {1, -1}, new double[] {4, 9}, 3);
        ChannelMoments empty = ChannelMoments.empty(2);
        for (ChannelMoments c : new ChannelMoments[] {a.combine(empty), empty.combine(a)}) {
            assertThat(c.count()).isEqualTo(3);
            assertThat(c.mean()).containsExactly(1, -1);
            assertThat(c.biasedVariance()).containsExactly(4, 9);
        }
        // two batches of 2 with means 0 and 2, variance 1 each: pooled mean 1, variance 1 + 1 = 2
        ChannelMoments b = ChannelMoments.ofBatch(new double[] {0}, new double[] {1}, 2)
                .combine(ChannelMoments.ofBatch(new double[] {2}, new double[] {1}, 2));
        assertThat(b.count()).isEqualTo(4);
        assertThat(b.mean()[0]).isCloseTo(1.0, within(TOL));
        assertThat(b.biasedVariance()[0]).isCloseTo(2.0, within(TOL));
        assertThat(b.unbiasedVariance()[0]).isCloseTo(8.0 / 3, within(TOL));
        assertThat(b.toString()).isEqualTo("ChannelMoments{count=4, mean=[1.0]}");
    }
}
