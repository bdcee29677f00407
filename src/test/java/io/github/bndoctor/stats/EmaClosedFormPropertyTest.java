package io.github.bndoctor.stats;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

/**
 * Property 4: the closed forms of {@link Ema} agree with the direct recurrence for any decay in
 * (0, 1) and any number of steps, in double precision. Re-run a failure with {@code -DQT_SEED=...}.
 */
@Tag("property")
class EmaClosedFormPropertyTest {
    /** Double unit roundoff, 2^-53. */
    private static final double U = Math.ulp(1.0) / 2;

    /**
     * Each recurrence step rounds at most ~3 times and the EMA damps old errors, so n steps
     * accumulate at most ~4n unit roundoffs of the largest magnitude involved.
     */
    private static double roundoff(long n, double scale) {
        return 4.0 * (n + 1) * U * scale;
    }

    @Test
    void expectedValueMatchesRecurrenceOnConstantInput() {
        qt().withExamples(2000).forAll(decaysIncludingExtremes(), integers().between(0, 5000),
                doubles().between(-100, 100), doubles().between(-100, 100))
            .checkAssert((d, n, m0, mu) -> {
                double direct = m0;
                for (int t = 0; t < n; t++) {
                    direct = Ema.step(direct, mu, d);
                }
                assertThat(Ema.expectedValue(m0, mu, d, n))
                        .isCloseTo(direct, within(roundoff(n, Math.abs(m0) + Math.abs(mu))));
            });
    }

    @Test
    void varianceMatchesSumOfSquaredWeights() {
        qt().withExamples(2000).forAll(decaysIncludingExtremes(), integers().between(0, 5000),
                doubles().between(1e-6, 1e3))
            .checkAssert((d, n, s2) -> {
                // m_n - E[m_n] = sum_k (1-d) d^k (x_{n-k} - mu): variance is the sum of squared weights
                double sum = 0;
                double w = 1 - d;
                for (int k = 0; k < n; k++) {
                    sum += w * w * s2;
                    w *= d;
                }
                assertThat(Ema.variance(s2, d, n)).isCloseTo(sum, within(roundoff(n, s2)));
            });
    }

    @Test
    void driftLagMatchesRecurrenceOfExpectedInputs() {
        qt().withExamples(2000).forAll(decaysIncludingExtremes(), integers().between(0, 3000),
                doubles().between(-10, 10), doubles().between(-1, 1))
            .checkAssert((d, n, mu0, r) -> {
                double m = 0;
                for (int t = 1; t <= n; t++) {
                    m = Ema.step(m, mu0 + r * t, d);
                }
                double scale = Math.abs(mu0) + Math.abs(r) * (n + Ema.window(d));
                assertThat(Ema.expectedValueUnderDrift(0, mu0, r, d, n))
                        .isCloseTo(m, within(roundoff(n, scale) * Math.min(n + 1, Ema.window(d))));
            });
    }

    @Test
    void driftLagTendsToSteadyLag() {
        qt().withExamples(500).forAll(doubles().between(0.5, 0.99), doubles().between(-1, 1))
            .checkAssert((d, r) -> {
                long n = Ema.stepsUntilPriorWeight(d, 1e-12) * 2;
                assertThat(Ema.expectedLagUnderDrift(3.0, 1.0, r, d, n))
                        .isCloseTo(Ema.steadyLag(r, d), within(1e-9 * (1 + Math.abs(Ema.steadyLag(r, d)))));
            });
    }

    /** Windows log-uniform in [1.01, 10^5], so both extremes of (0, 1) are drawn. */
    private static org.quicktheories.core.Gen<Double> decaysIncludingExtremes() {
        return doubles().between(Math.log10(1.01), 5).map(u -> 1 - Math.pow(10, -u));
    }
}
