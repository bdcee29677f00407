package io.github.bndoctor.stats;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The small building blocks at their boundaries: the union-bound budget against published normal
 * quantiles, tolerances at exactly the allowed difference, and the decay range (0, 1].
 */
@Tag("unit")
class BudgetAndToleranceTest {
    @Test
    void theBudgetExponentIsTheUnionBoundOverComparisons() {
        FalseFailureBudget b = FalseFailureBudget.of(0.01, 50);
        // two-sided tails e^-x shared by 50 comparisons at alpha 0.01: x = ln(2 * 50 / 0.01) = ln 10^4
        assertThat(b.exponent()).isCloseTo(Math.log(1e4), within(1e-12));
        assertThat(b.gaussianZ()).isCloseTo(Math.sqrt(2 * Math.log(1e4)), within(1e-12));
        // sqrt(2 ln(2/alpha)) bounds the two-sided normal quantile from above: z_{0.975} = 1.95996 (alpha 0.05)
        assertThat(FalseFailureBudget.of(0.05, 1).gaussianZ()).isBetween(1.95996, 3.0);
        assertThat(b.alpha()).isEqualTo(0.01);
        assertThat(b.comparisons()).isEqualTo(50);
        assertThat(b.toString()).isEqualTo("FalseFailureBudget{alpha=0.01, N=50, z=" + b.gaussianZ() + "}");
        assertThatThrownBy(() -> FalseFailureBudget.of(0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alpha must be in (0, 1)");
        assertThatThrownBy(() -> FalseFailureBudget.of(1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FalseFailureBudget.of(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FalseFailureBudget.of(0.5, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("comparisons must be positive");
        assertThat(FalseFailureBudget.of(Math.nextDown(1.0), 1).comparisons()).isEqualTo(1);
        assertThat(FalseFailureBudget.of(Double.MIN_VALUE, 1).alpha()).isEqualTo(Double.MIN_VALUE);
    }

    @Test
    void aToleranceAllowsExactlyItsDifference() {
        Tolerance t = new Tolerance(0.25, 0.5);
        // 0.25 + 0.5 * |-2| = 1.25, exact in binary
        assertThat(t.allowedDifference(-2)).isEqualTo(1.25);
        assertThat(t.test(-2, -0.75)).isTrue();
        assertThat(t.test(-2, -3.25)).isTrue();
        assertThat(t.test(-2, -2 + Math.nextUp(1.25))).isFalse();
        assertThat(t.test(-2, Double.NaN)).isFalse();
        assertThat(Tolerance.absolute(0.5)).isEqualTo(new Tolerance(0.5, 0));
        assertThat(Tolerance.relative(0.5)).isEqualTo(new Tolerance(0, 0.5));
        assertThat(Tolerance.floatUlps(4).relative()).isEqualTo(4 * 0x1p-24);
        assertThat(new Tolerance(0, 0).test(1, 1)).isTrue();
        assertThatThrownBy(() -> new Tolerance(-Double.MIN_VALUE, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be >= 0");
        assertThatThrownBy(() -> new Tolerance(0, -Double.MIN_VALUE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Tolerance(Double.NaN, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Tolerance(0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decayMustLieInZeroToOneInclusive() {
        assertThat(InvalidDecayException.check(1.0)).isEqualTo(1.0);
        assertThat(InvalidDecayException.check(Double.MIN_VALUE)).isEqualTo(Double.MIN_VALUE);
        for (double bad : new double[] {0, -0.5, Math.nextUp(1.0), Double.NaN}) {
            assertThatThrownBy(() -> InvalidDecayException.check(bad)).as("decay %s", bad)
                    .isInstanceOf(InvalidDecayException.class).hasMessageContaining("decay must be in (0, 1]")
                    .hasMessageContaining("got " + bad);
        }
    }

    @Test
    void medianOfOddEvenAndEmptySamples() {
        double[] odd = {3, 1, 2};
        assertThat(Median.of(odd)).isEqualTo(2.0);
        assertThat(odd).containsExactly(3, 1, 2);
        assertThat(Median.of(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(Median.of(new double[] {7})).isEqualTo(7.0);
        assertThat(Median.of(new double[0])).isNaN();
    }
}
