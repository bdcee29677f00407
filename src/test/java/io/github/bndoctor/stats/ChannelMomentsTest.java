package io.github.bndoctor.stats;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Moments, Bessel factor and population estimators against two-pass computations written here.
 * Tolerances: sums of a few thousand doubles of magnitude ~10 carry relative errors below
 * ~1e-12 (n * 2^-53 * magnitude), so 1e-9 absolute is loose yet catches any formula slip.
 */
@Tag("unit")
class ChannelMomentsTest {
    private static final double TOL = 1e-9;

    private static double[][] samples(int n, int channels, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] x = new double[n][channels];
        for (double[] row : x) {
            for (int c = 0; c < channels; c++) {
                row[c] = 5 * c + (c + 1) * (r.nextDouble() * 2 - 1);
            }
        }
        return x;
    }

    private static double[] twoPassMean(double[][] x, int c) {
        double s = 0;
        for (double[] row : x) {
            s += row[c];
        }
        double mean = s / x.length;
        double ss = 0;
        for (double[] row : x) {
            ss += (row[c] - mean) * (row[c] - mean);
        }
        return new double[] {mean, ss / x.length};
    }

    @Test
    void welfordMatchesTwoPass() {
        double[][] x = samples(1000, 3, 1);
        ChannelMoments m = ChannelMoments.ofSamples(x);
        for (int c = 0; c < 3; c++) {
            double[] ref = twoPassMean(x, c);
            assertThat(m.mean()[c]).isCloseTo(ref[0], within(TOL));
            assertThat(m.biasedVariance()[c]).isCloseTo(ref[1], within(TOL));
            assertThat(m.unbiasedVariance()[c]).isCloseTo(ref[1] * 1000 / 999, within(TOL));
        }
    }

    @Test
    void chanCombinationEqualsAllSamplesAtOnce() {
        double[][] x = samples(700, 2, 2);
        ChannelMoments parts = ChannelMoments.empty(2);
        for (int start = 0; start < 700; start += 97) {
            int end = Math.min(700, start + 97);
            parts = parts.combine(ChannelMoments.ofSamples(java.util.Arrays.copyOfRange(x, start, end)));
        }
        ChannelMoments all = ChannelMoments.ofSamples(x);
        assertThat(parts.count()).isEqualTo(700);
        for (int c = 0; c < 2; c++) {
            assertThat(parts.mean()[c]).isCloseTo(all.mean()[c], within(TOL));
            assertThat(parts.biasedVariance()[c]).isCloseTo(all.biasedVariance()[c], within(TOL));
        }
    }

    @Test
    void besselFactorRelatesBiasedAndUnbiased() {
        BesselFactor f = BesselFactor.of(8);
        assertThat(f.value()).isEqualTo(8.0 / 7.0);
        assertThat(f.biasRatio() * f.value()).isCloseTo(1.0, within(1e-15));
        assertThat(f.bias(f.unbias(new double[] {2.0}))[0]).isCloseTo(2.0, within(1e-15));
        assertThatThrownBy(() -> BesselFactor.of(1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pooledVarianceIsMeanOfBatchVariancesPlusVarianceOfBatchMeans() {
        // law of total variance, with equal batch sizes
        double[][] x = samples(800, 2, 3);
        List<ChannelMoments> batches = new ArrayList<>();
        for (int start = 0; start < 800; start += 8) {
            batches.add(ChannelMoments.ofSamples(java.util.Arrays.copyOfRange(x, start, start + 8)));
        }
        MeanVariance pooled = PopulationEstimator.POOLED.estimate(batches);
        MeanVariance meanOfVars = PopulationEstimator.MEAN_OF_BATCH_VARIANCES.estimate(batches);
        for (int c = 0; c < 2; c++) {
            double[] means = batches.stream().mapToDouble(b -> b.mean()[0]).toArray();
            final int ch = c;
            double[][] bm = batches.stream().map(b -> new double[] {b.mean()[ch]}).toArray(double[][]::new);
            double varOfMeans = twoPassMean(bm, 0)[1];
            assertThat(pooled.variance()[c]).isCloseTo(meanOfVars.variance()[c] + varOfMeans, within(TOL));
            assertThat(pooled.variance()[c]).isCloseTo(twoPassMean(x, c)[1], within(TOL));
            assertThat(pooled.mean()[c]).isCloseTo(meanOfVars.mean()[c], within(TOL));
            // each batch mean is the plain average of its 8 samples of channel 0
            assertThat(means).hasSize(100);
            for (int b = 0; b < means.length; b++) {
                double direct = 0;
                for (int i = 8 * b; i < 8 * b + 8; i++) {
                    direct += x[i][0] / 8;
                }
                assertThat(means[b]).isCloseTo(direct, within(TOL));
            }
        }
    }

    @Test
    void distancesFollowTheirDefinitions() {
        assertThat(MomentDistance.standardizedMeanShift(3, 1, 4, 0)).isEqualTo(1.0);
        assertThat(MomentDistance.logVarianceRatio(Math.E, 1, 0)).isCloseTo(1.0, within(1e-15));
        assertThat(MomentDistance.relativeError(1.1, 1.0)).isCloseTo(0.1, within(1e-15));
        MeanVariance a = new MeanVariance(new double[] {0, 2}, new double[] {1, 4});
        MeanVariance b = new MeanVariance(new double[] {0, 0}, new double[] {1, 1});
        assertThat(MomentDistance.maxStandardizedMeanShift(a, b, 0)).isEqualTo(2.0);
        assertThat(MomentDistance.maxAbsLogVarianceRatio(a, b, 0)).isCloseTo(Math.log(4), within(1e-15));
    }

    @Test
    void decayOutsideUnitIntervalIsRejected() {
        for (double bad : new double[] {0, -0.1, 1.0001, Double.NaN}) {
            assertThatThrownBy(() -> Ema.window(bad)).isInstanceOf(InvalidDecayException.class)
                    .hasMessageContaining("decay must be in (0, 1]");
        }
        assertThat(Ema.window(1)).isInfinite();
    }

    @Test
    void combiningWithAnEmptyAccumulatorReturnsTheOtherSideExactly() {
        // mean 0.1 over 3 samples: the general update would give 0 + (0.1 - 0) * 3 / 3 = 0.10000000000000002
        assertThat(0.1 * 3 / 3).isNotEqualTo(0.1);
        ChannelMoments m = ChannelMoments.ofBatch(new double[] {0.1, -7}, new double[] {0.5, 2}, 3);
        ChannelMoments empty = ChannelMoments.empty(2);
        for (ChannelMoments c : List.of(empty.combine(m), m.combine(empty))) {
            assertThat(c.count()).isEqualTo(3);
            assertThat(c.mean()).containsExactly(0.1, -7);
            assertThat(c.biasedVariance()).containsExactly(m.biasedVariance());
        }
    }
}
