package io.github.bndoctor.stats;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The bounds' closed forms against a direct simulation of their definitions: the expected moving
 * variance by iterating the EMA on {@code (m-1)/m sigma2} (DL4J's biased batch variance), the
 * half-widths from the weights {@code a_k = (1-d) d^k} summed term by term. Small {@code m} makes
 * the Bessel ratio {@code (m-1)/m} far from 1, so leaving it out fails.
 */
@Tag("unit")
class EmaBoundsTest {
    /** A few dozen double operations on values of order 1: 1e-12 is ~5000 ulps, far below any formula slip. */
    private static final double TOL = 1e-12;

    private static double iteratedEma(double initial, double x, double d, long n) {
        double v = initial;
        for (long i = 0; i < n; i++) {
            v = d * v + (1 - d) * x;
        }
        return v;
    }

    @Test
    void expectedMovingVarianceCarriesTheBesselRatio() {
        // m = 2: the biased batch variance is sigma2/2 on average
        assertThat(EmaBounds.expectedMovingVariance(1, 4, 2, 0.5, 1)).isCloseTo(0.5 * 1 + 0.5 * 2, within(TOL));
        assertThat(EmaBounds.expectedMovingVariance(1, 4, 2, 0.5, 0)).isEqualTo(1.0);
        for (long m : new long[] {2, 3, 8}) {
            for (long n : new long[] {1, 7, 300}) {
                double d = 0.9;
                assertThat(EmaBounds.expectedMovingVariance(1, 2.5, m, d, n)).as("m=%d n=%d", m, n)
                        .isCloseTo(iteratedEma(1, 2.5 * (m - 1) / m, d, n), within(TOL));
            }
        }
    }

    @Test
    void meanHalfWidthIsZStandardDeviationsOfTheEma() {
        FalseFailureBudget b = FalseFailureBudget.of(1e-3, 10);
        double sigma2 = 3;
        long m = 6;
        double d = 0.8;
        long n = 25;
        double var = 0;
        for (long k = 0; k < n; k++) {
            var += Math.pow((1 - d) * Math.pow(d, k), 2) * sigma2 / m;
        }
        assertThat(EmaBounds.meanHalfWidth(sigma2, m, d, n, b)).isCloseTo(b.gaussianZ() * Math.sqrt(var), within(TOL));
    }

    /** Laurent-Massart: 2 |a|_2 sqrt(x) + 2 |a|_inf x over unit chi-square terms with weights a. */
    private static double laurentMassart(double sigma2, long termsPerStep, long m, double d, long n, double x) {
        double sum2 = 0;
        double max = 0;
        for (long k = 0; k < n; k++) {
            double a = (1 - d) * Math.pow(d, k) * sigma2 / m;
            sum2 += termsPerStep * a * a;
            max = Math.max(max, a);
        }
        return 2 * Math.sqrt(sum2) * Math.sqrt(x) + 2 * max * x;
    }

    @Test
    void varianceHalfWidthsAreTheLaurentMassartBound() {
        FalseFailureBudget b = FalseFailureBudget.of(1e-4, 30);
        double x = b.exponent();
        assertThat(EmaBounds.varianceHalfWidth(2, 4, 0.7, 12, b))
                .isCloseTo(laurentMassart(2, 3, 4, 0.7, 12, x), within(TOL));
        assertThat(EmaBounds.varianceHalfWidth(2, 4, 0.7, 0, b)).isZero();
        assertThat(EmaBounds.varianceHalfWidth(2, 4, 0.7, 1, b))
                .isCloseTo(laurentMassart(2, 3, 4, 0.7, 1, x), within(TOL));
        // C channels averaged: C (m-1) terms per step, each of variance 1/C
        assertThat(EmaBounds.normalisedVarianceAverageHalfWidth(5, 3, 0.9, 40, b))
                .isCloseTo(laurentMassart(1.0 / 3, 12, 5, 0.9, 40, x), within(TOL));
        assertThatThrownBy(() -> EmaBounds.varianceHalfWidth(2, 1, 0.7, 3, b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 2 samples");
        assertThat(EmaBounds.varianceHalfWidth(2, 2, 0.7, 3, b)).isPositive();
        assertThatThrownBy(() -> EmaBounds.normalisedVarianceAverageHalfWidth(5, 0, 0.9, 4, b))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channels must be positive");
        assertThat(EmaBounds.normalisedVarianceAverageHalfWidth(5, 1, 0.9, 4, b))
                .isCloseTo(EmaBounds.varianceHalfWidth(1, 5, 0.9, 4, b), within(TOL));
    }

    @Test
    void floatSlackIsUlpsOfTheScaleTimesTheRememberedSteps() {
        double u = Math.pow(2, -24);
        assertThat(EmaBounds.FLOAT_UNIT_ROUNDOFF).isEqualTo(u);
        // window 1/(1-0.9) = 10 caps the remembered steps
        assertThat(EmaBounds.floatSlack(3, 0.9, 500, 2)).isCloseTo(2 * u * 3 * 10, within(1e-20));
        assertThat(EmaBounds.floatSlack(3, 0.9, 4, 2)).isCloseTo(2 * u * 3 * 4, within(1e-20));
        // at least one step's rounding, even before the first step
        assertThat(EmaBounds.floatSlack(3, 0.9, 0, 2)).isCloseTo(2 * u * 3, within(1e-20));
        assertThat(EmaBounds.floatSlack(3, 1, 7, 1)).isCloseTo(u * 3 * 7, within(1e-20));
    }
}
