package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.MeanVariance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * {@link MovingStatistics#withoutPrior}: DL4J's recurrence run from its prior (mean 0, variance 1),
 * with the prior taken out, equals the normalised weighted average of the batches it saw, computed
 * directly from the weights {@code (1-d) d^(n-k)} and their sum {@code 1 - d^n}.
 */
@Tag("property")
class MovingStatisticsWithoutPriorTest {
    /** Double unit roundoff, 2^-53. */
    private static final double U = Math.ulp(1.0) / 2;

    @Test
    void removesThePriorFromTheRecurrence() {
        qt().withExamples(500).forAll(doubles().between(0.5, 0.999), integers().between(1, 400), longs().all())
            .checkAssert((d, n, seed) -> {
                Random r = new Random(seed);
                double mean = 0;
                double var = 1;
                double sumMean = 0;
                double sumVar = 0;
                double[] bm = new double[n];
                double[] bv = new double[n];
                for (int k = 0; k < n; k++) {
                    bm[k] = 5 * r.nextGaussian();
                    bv[k] = 1e-3 + 10 * r.nextDouble();
                    mean = d * mean + (1 - d) * bm[k];
                    var = d * var + (1 - d) * bv[k];
                }
                double w = 1;
                for (int k = n - 1; k >= 0; k--) {
                    sumMean += (1 - d) * w * bm[k];
                    sumVar += (1 - d) * w * bv[k];
                    w *= d;
                }
                double norm = 1 - w; // w is d^n here
                MeanVariance got = MovingStatistics.withoutPrior(new MeanVariance(new double[] {mean},
                        new double[] {var}), w);
                // each of the n steps rounds ~3 times on values up to ~20 (5 sigma of the means, the
                // variances below 10); dividing by 1 - d^n >= 1 - 0.999 amplifies that by at most 1e3
                double tol = 4.0 * (n + 1) * U * 20 / norm;
                assertThat(got.mean()[0]).isCloseTo(sumMean / norm, within(tol));
                assertThat(got.variance()[0]).isCloseTo(sumVar / norm, within(tol));
            });
    }

    @Test
    void weightZeroChangesNothingAndWeightOneIsRefused() {
        MeanVariance m = new MeanVariance(new double[] {0.25, -3}, new double[] {0.5, 2});
        MeanVariance same = MovingStatistics.withoutPrior(m, 0);
        assertThat(same.mean()).containsExactly(0.25, -3);
        assertThat(same.variance()).containsExactly(0.5, 2);
        // just below 1: (v - w)/(1 - w) with 1 - w = 2^-53 (one ulp below 1 in [0.5, 1))
        double w = Math.nextDown(1.0);
        MeanVariance near = MovingStatistics.withoutPrior(new MeanVariance(new double[] {0.5}, new double[] {1.5}), w);
        assertThat(near.mean()[0]).isEqualTo(0.5 / (1 - w));
        assertThat(near.variance()[0]).isEqualTo((1.5 - w) / (1 - w));
        assertThatThrownBy(() -> MovingStatistics.withoutPrior(m, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> MovingStatistics.withoutPrior(m, Math.nextDown(0.0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MovingStatistics.withoutPrior(m, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        // the input is not modified
        assertThat(m.mean()).containsExactly(0.25, -3);
    }

    @Test
    void aVarianceBelowThePriorsShareIsClampedToZero() {
        // 0.5 - 0.6 < 0: float error or a prior weight that does not match the statistics
        MeanVariance got = MovingStatistics.withoutPrior(new MeanVariance(new double[] {0}, new double[] {0.5}), 0.6);
        assertThat(got.variance()[0]).isZero();
        // exactly the prior's share: 0, at the boundary the clamp leaves alone
        assertThat(MovingStatistics.withoutPrior(new MeanVariance(new double[] {0}, new double[] {0.5}), 0.5)
                .variance()[0]).isZero();
        // one ulp above the share: positive
        assertThat(MovingStatistics.withoutPrior(new MeanVariance(new double[] {0}, new double[] {Math.nextUp(0.5)}), 0.5)
                .variance()[0]).isPositive();
    }
}
