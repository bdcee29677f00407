package io.github.bndoctor.stats;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Argument checks of the batch-moment accumulators and estimators: mismatched channel counts and
 * empty inputs are refused with a message rather than giving NaN or a wrong-length result.
 */
@Tag("unit")
class StatsArgumentEdgeTest {
    private static ChannelMoments batch(int channels) {
        double[] m = new double[channels];
        double[] v = new double[channels];
        java.util.Arrays.fill(v, 1);
        return ChannelMoments.ofBatch(m, v, 4);
    }

    @Test
    void channelCountsMustAgree() {
        BatchedMoments two = BatchedMoments.empty(2).add(batch(2));
        assertThatThrownBy(() -> two.add(batch(3))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("channel counts differ: 2 vs 3");
        assertThatThrownBy(() -> two.combine(BatchedMoments.empty(3).add(batch(3))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("channel counts differ: 2 vs 3");
        assertThat(two.combine(BatchedMoments.empty(2).add(batch(2))).batches()).isEqualTo(2);
    }

    @Test
    void nothingToEstimateFromIsRefused() {
        assertThatThrownBy(() -> BatchedMoments.empty(2).meanOfBatchVariances())
                .isInstanceOf(IllegalStateException.class).hasMessage("no batches");
        assertThat(BatchedMoments.empty(2).add(batch(2)).meanOfBatchVariances()).containsExactly(1, 1);
        for (PopulationEstimator e : PopulationEstimator.values()) {
            assertThatThrownBy(() -> e.estimate(List.of())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no batches");
            assertThatThrownBy(() -> e.estimate(BatchedMoments.empty(2))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no batches");
            assertThat(e.estimate(List.of(batch(2))).mean()).containsExactly(0, 0);
        }
        assertThat(BesselFactor.of(8).samplesPerChannel()).isEqualTo(8);
    }

    @Test
    void aFrozenEmaHasNoSpread() {
        // decay 1: the moving variance never moves, so the half-width is 0, not 0 x (0/0)
        FalseFailureBudget budget = FalseFailureBudget.of(0.01, 1);
        assertThat(EmaBounds.normalisedVarianceAverageHalfWidth(8, 2, 1.0, 100, budget)).isZero();
        assertThat(EmaBounds.normalisedVarianceAverageHalfWidth(8, 2, 0.9, 100, budget)).isPositive().isFinite();
    }
}
