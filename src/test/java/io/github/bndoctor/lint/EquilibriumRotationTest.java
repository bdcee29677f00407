package io.github.bndoctor.lint;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The formulas against values computed by hand: the arguments are chosen so that the radicand is
 * exactly 1e-4 (rotation 0.01 rad). Tolerance 1e-15: a few double roundings of numbers near 0.01.
 */
@Tag("unit")
class EquilibriumRotationTest {
    static final double TOL = 1e-15;

    @Test
    void sgdWithCoupledL2() {
        // 2 x (0.095 x 1e-3) / 1.9 = 1e-4
        assertThat(EquilibriumRotation.sgd(0.095 * 1e-3, 0, 0.9)).isCloseTo(0.01, within(TOL));
        // no momentum: 2 x 5e-5 / 1 = 1e-4
        assertThat(EquilibriumRotation.sgd(5e-5, 0, 0)).isCloseTo(0.01, within(TOL));
    }

    @Test
    void sgdWithDecoupledDecayCountsOnlyOneMinusMomentumOfIt() {
        // 2 x 9.5e-4 x 0.1 / 1.9 = 1e-4
        assertThat(EquilibriumRotation.sgd(0, 9.5e-4, 0.9)).isCloseTo(0.01, within(TOL));
        // both: 2 x (4.75e-5 + 4.75e-4 x 0.1) / 1.9 = 2 x 9.5e-5 / 1.9 = 1e-4
        assertThat(EquilibriumRotation.sgd(4.75e-5, 4.75e-4, 0.9)).isCloseTo(0.01, within(TOL));
    }

    @Test
    void adamWithDecoupledDecay() {
        // 2 x 9.5e-4 x 0.1 / 1.9 = 1e-4
        assertThat(EquilibriumRotation.adam(9.5e-4, 0.9)).isCloseTo(0.01, within(TOL));
        // beta1 0.99: 2 x 1e-3 x 0.01 / 1.99 = 1.0050251e-5, sqrt = 3.1702132e-3
        assertThat(EquilibriumRotation.adam(1e-3, 0.99)).isCloseTo(3.1702132e-3, within(1e-9));
        assertThat(EquilibriumRotation.adam(0, 0.9)).isZero();
    }

    @Test
    void lagRangeAndLargestDecay() {
        // d = 0.99: d/(1-d) = 99, sqrt(99) = 9.9498743710662
        assertThat(EquilibriumRotation.driftLag(0.5, 0.99)).isCloseTo(49.5, within(1e-11));
        assertThat(EquilibriumRotation.randomWalkLag(0.5, 0.99)).isCloseTo(4.9749371855331, within(1e-11));
        // d = 0.75: d/(1-d) = 3
        assertThat(EquilibriumRotation.driftLag(0.5, 0.75)).isCloseTo(1.5, within(1e-15));
        assertThat(EquilibriumRotation.randomWalkLag(0.5, 0.75)).isCloseTo(0.8660254037844, within(1e-12));
        // 5 / 5.5 = 0.909090...: the drift lag there is the budget, just above it exceeds it, just below not
        double d = EquilibriumRotation.largestDecay(0.5, 5);
        assertThat(d).isCloseTo(10.0 / 11, within(1e-15));
        assertThat(EquilibriumRotation.driftLag(0.5, d)).isCloseTo(5, within(1e-12));
        assertThat(EquilibriumRotation.driftLag(0.5, d + 1e-6)).isGreaterThan(5);
        assertThat(EquilibriumRotation.driftLag(0.5, d - 1e-6)).isLessThan(5);
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> EquilibriumRotation.sgd(1e-4, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EquilibriumRotation.sgd(-1e-4, 0, 0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EquilibriumRotation.sgd(0, Double.NaN, 0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EquilibriumRotation.adam(1e-4, -0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EquilibriumRotation.driftLag(1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EquilibriumRotation.randomWalkLag(1, -0.01)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EquilibriumRotation.largestDecay(0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EquilibriumRotation.largestDecay(1, Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void remainingIterationsNeedFinitePositiveRotationsAndTimeConstant() {
        // at the smallest positive values it answers; at 0, negative, NaN or infinite it refuses
        assertThat(EquilibriumRotation.remainingIterations(Double.MIN_VALUE, 1, 1)).isPositive();
        assertThat(EquilibriumRotation.remainingIterations(1, Double.MIN_VALUE, 1)).isPositive();
        assertThat(EquilibriumRotation.remainingIterations(1, 2, Double.MIN_VALUE)).isPositive();
        double[][] bad = {{0, 1, 1}, {1, 0, 1}, {1, 1, 0}, {-1, 1, 1}, {Double.NaN, 1, 1}, {1, Double.NaN, 1},
            {1, 1, Double.NaN}, {Double.POSITIVE_INFINITY, 1, 1}, {1, Double.POSITIVE_INFINITY, 1}};
        for (double[] b : bad) {
            assertThatThrownBy(() -> EquilibriumRotation.remainingIterations(b[0], b[1], b[2]))
                    .as("%s", java.util.Arrays.toString(b)).isInstanceOf(IllegalArgumentException.class);
        }
        // tau (ln |r^2 - 1| + 3): rotation twice the equilibrium, r = 1/2, |r^2 - 1| = 3/4
        assertThat(EquilibriumRotation.remainingIterations(2, 1, 100)).isCloseTo(100 * (Math.log(0.75) + 3), within(1e-9));
    }
}
