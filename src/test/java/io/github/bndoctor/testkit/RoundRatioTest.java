package io.github.bndoctor.testkit;

import org.junit.jupiter.api.Test;

import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmarks' interval arithmetic, against values worked out by hand. */
class RoundRatioTest {
    @Test
    void aConstantRatioHasNoWidth() {
        long[] base = LongStream.rangeClosed(1, 9).map(v -> 1000 * v).toArray();
        long[] arm = LongStream.of(base).map(v -> v + v / 100).toArray();
        assertThat(RoundRatio.percent(arm, base)).isEqualTo("+1.00% +- 0.00% (9 rounds)");
        assertThat(RoundRatio.medianPercent(arm, base)).isEqualTo("+1.00% [+1.00%, +1.00%] median (9 rounds)");
    }

    @Test
    void medianIntervalIsTheOrderStatisticsAroundTheMiddle() {
        // ratios 1 + k/1000, k = 0..99, shuffled: median (49+50)/2 = 49.5 per mille; half-width
        // ceil(0.98 * sqrt(100)) = 10 ranks: 0-based ranks 49-10 = 39 and 50+10 = 60
        long[] base = new long[100];
        long[] arm = new long[100];
        for (int i = 0; i < 100; i++) {
            int k = (i * 37) % 100;
            base[i] = 1000;
            arm[i] = 1000 + k;
        }
        assertThat(RoundRatio.medianPercent(arm, base)).isEqualTo("+4.95% [+3.90%, +6.00%] median (100 rounds)");
    }

    @Test
    void meanIntervalIsTwoStandardErrors() {
        // ratios 1.00 and 1.02 alternating, 4 rounds: mean 1.01, sample sd 0.011547, 2 sd / sqrt(4) = 0.011547
        long[] base = {100, 100, 100, 100};
        long[] arm = {100, 102, 100, 102};
        assertThat(RoundRatio.percent(arm, base)).isEqualTo("+1.00% +- 1.15% (4 rounds)");
    }

    @Test
    void theNetMedianIsTakenOverPerRoundDifferences() {
        // control 1000 + c, arm 1000 + c + k with k = 0..99 shuffled, c varying by round: the per-round
        // differences are k per mille, so the same median and ranks as above; the difference of the two
        // medians would mix in c
        long[] base = new long[100];
        long[] control = new long[100];
        long[] arm = new long[100];
        for (int i = 0; i < 100; i++) {
            int k = (i * 37) % 100;
            int c = (i * 11) % 30;
            base[i] = 1000;
            control[i] = 1000 + c;
            arm[i] = 1000 + c + k;
        }
        RoundRatio.Median net = RoundRatio.netMedian(arm, control, base);
        assertThat(net).hasToString("+4.95% [+3.90%, +6.00%] median (100 rounds)");
        assertThat(net.width()).isCloseTo(0.021, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void aConstantNetHasNoWidth() {
        // arm 2% over the base, control 0.5% over it, in every round: net 1.5% exactly
        long[] base = LongStream.rangeClosed(1, 9).map(v -> 2000 * v).toArray();
        long[] control = LongStream.of(base).map(v -> v + v / 200).toArray();
        long[] arm = LongStream.of(base).map(v -> v + v / 50).toArray();
        assertThat(RoundRatio.netMedian(arm, control, base)).hasToString("+1.50% [+1.50%, +1.50%] median (9 rounds)");
    }
}
