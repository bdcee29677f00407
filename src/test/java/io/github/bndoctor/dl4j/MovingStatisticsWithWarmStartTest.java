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
 * {@link MovingStatistics#withWarmStart}: DL4J's recurrence run from its prior (mean 0, variance 1)
 * over some batches, turned into the twin's statistics, equals the same recurrence run over the same
 * batches from the warm start (a second, independent recurrence).
 */
@Tag("property")
class MovingStatisticsWithWarmStartTest {
    /** Double unit roundoff, 2^-53. */
    private static final double U = Math.ulp(1.0) / 2;

    @Test
    void equalsTheRecurrenceStartedFromTheWarmStart() {
        qt().withExamples(500).forAll(doubles().between(0.5, 0.999), integers().between(0, 400), longs().all())
            .checkAssert((d, n, seed) -> {
                Random r = new Random(seed);
                double s0Mean = 3 * r.nextGaussian();
                double s0Var = 1e-3 + 10 * r.nextDouble();
                double mean = 0;
                double var = 1;
                double twinMean = s0Mean;
                double twinVar = s0Var;
                double w = 1;
                for (int k = 0; k < n; k++) {
                    double bm = 5 * r.nextGaussian();
                    double bv = 1e-3 + 10 * r.nextDouble();
                    mean = d * mean + (1 - d) * bm;
                    var = d * var + (1 - d) * bv;
                    twinMean = d * twinMean + (1 - d) * bm;
                    twinVar = d * twinVar + (1 - d) * bv;
                    w *= d;
                }
                MeanVariance got = MovingStatistics.withWarmStart(new MeanVariance(new double[] {mean},
                        new double[] {var}), w, new MeanVariance(new double[] {s0Mean}, new double[] {s0Var}));
                // each of the n steps rounds ~3 times in each of the two recurrences and in w, on values
                // up to ~20 (5 sigma of the means, variances below 10); no division amplifies it
                double tol = 8.0 * (n + 1) * U * 20;
                assertThat(got.mean()[0]).isCloseTo(twinMean, within(tol));
                assertThat(got.variance()[0]).isCloseTo(twinVar, within(tol));
            });
    }

    @Test
    void boundariesOfThePriorWeight() {
        MeanVariance moving = new MeanVariance(new double[] {0.25, -3}, new double[] {0.5, 2});
        MeanVariance start = new MeanVariance(new double[] {1, 2}, new double[] {4, 0.25});
        // weight 0: the prior is gone, nothing changes
        MeanVariance same = MovingStatistics.withWarmStart(moving, 0, start);
        assertThat(same.mean()).containsExactly(0.25, -3);
        assertThat(same.variance()).containsExactly(0.5, 2);
        // weight 1 on the untouched prior (0, 1): the twin holds the warm start itself
        MeanVariance prior = new MeanVariance(new double[] {0, 0}, new double[] {1, 1});
        MeanVariance all = MovingStatistics.withWarmStart(prior, 1, start);
        assertThat(all.mean()).containsExactly(1, 2);
        assertThat(all.variance()).containsExactly(4, 0.25);
        assertThatThrownBy(() -> MovingStatistics.withWarmStart(moving, Math.nextUp(1.0), start))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> MovingStatistics.withWarmStart(moving, Math.nextDown(0.0), start))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MovingStatistics.withWarmStart(moving, Double.NaN, start))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MovingStatistics.withWarmStart(moving, 0.5,
                new MeanVariance(new double[] {1}, new double[] {1}))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 channels");
        // the inputs are not modified
        assertThat(moving.mean()).containsExactly(0.25, -3);
        assertThat(start.variance()).containsExactly(4, 0.25);
    }

    @Test
    void aVarianceThatFloatErrorTakesBelowZeroIsClamped() {
        // 0.1 + 0.5 (0 - 1) < 0: statistics that do not match the weight; exactly 0 at 0.5 + 0.5 (0 - 1)
        MeanVariance start = new MeanVariance(new double[] {0}, new double[] {0});
        assertThat(MovingStatistics.withWarmStart(new MeanVariance(new double[] {0}, new double[] {0.1}), 0.5, start)
                .variance()[0]).isZero();
        assertThat(MovingStatistics.withWarmStart(new MeanVariance(new double[] {0}, new double[] {0.5}), 0.5, start)
                .variance()[0]).isZero();
        assertThat(MovingStatistics.withWarmStart(new MeanVariance(new double[] {0}, new double[] {Math.nextUp(0.5)}),
                0.5, start).variance()[0]).isPositive();
    }
}
