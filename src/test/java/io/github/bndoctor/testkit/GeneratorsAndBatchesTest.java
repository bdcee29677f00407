package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.FalseFailureBudget;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.EnumSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

/**
 * The test kit's data and generators. Box-Muller on a double in (0, 1] never leaves
 * {@code sqrt(-2 ln 2^-53) = 8.58} standard deviations, so with a tiny sigma each element's channel,
 * mean and drift are checked deterministically; the Gaussian moments are checked on 20,000 samples
 * against a union bound of 1e-9 over the 4 comparisons.
 */
@Tag("unit")
class GeneratorsAndBatchesTest {
    private static final double MAX_Z = Math.sqrt(-2 * Math.log(0x1p-53));

    private static double[] values(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    @Test
    void eachElementSitsInItsChannelWithTheDrift() {
        double[] mu = {-10, 10, 30};
        double[] sigma = {1e-3, 1e-3, 1e-3};
        for (Layout layout : Layout.values()) {
            int side = layout == Layout.DENSE ? 1 : 2;
            GaussianBatches g = new GaussianBatches(layout, 4, side, side, mu, sigma, 5).withDrift(0.5);
            for (int step = 1; step <= 2; step++) {
                INDArray x = g.next();
                assertThat(g.steps()).isEqualTo(step);
                assertThat(x.dataType()).isEqualTo(DataType.FLOAT);
                assertThat(x.shape()).containsExactly(g.shape());
                int axis = layout.channelAxis();
                for (int c = 0; c < 3; c++) {
                    INDArray ch = x.slice(c, axis);
                    double expected = mu[c] + 0.5 * step;
                    for (double v : values(ch)) {
                        // float rounding of values up to 31: 2^-24 * 32 = 2e-6, far below sigma
                        assertThat(Math.abs(v - expected)).as("%s channel %d step %d", layout, c, step)
                                .isLessThanOrEqualTo(MAX_Z * 1e-3 + 1e-5);
                    }
                }
            }
        }
        assertThat(new GaussianBatches(Layout.NCHW, 4, 2, 3, mu, sigma, 1).shape()).containsExactly(4, 3, 2, 3);
        assertThat(new GaussianBatches(Layout.NHWC, 4, 2, 3, mu, sigma, 1).shape()).containsExactly(4, 2, 3, 3);
        assertThat(new GaussianBatches(Layout.DENSE, 4, 1, 1, mu, sigma, 1).shape()).containsExactly(4, 3);
    }

    @Test
    void samplesAreStandardGaussianScaled() {
        int n = 20_000;
        GaussianBatches g = new GaussianBatches(Layout.DENSE, n, 1, 1, new double[] {2}, new double[] {3}, 11);
        double[] x = values(g.next());
        double mean = 0;
        for (double v : x) {
            mean += v / n;
        }
        double var = 0;
        double fourth = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / n;
            fourth += Math.pow((v - 2) / 3, 4) / n;
        }
        double z = FalseFailureBudget.of(1e-9, 4).gaussianZ();
        // mean: sd 3/sqrt(n); variance: sd sigma^2 sqrt(2/n); x1.5 below covers the normal approximation of
        // these sums of squares and fourth powers (skewed for finite n)
        assertThat(Math.abs(mean - 2)).isLessThan(z * 3 / Math.sqrt(n));
        assertThat(Math.abs(var - 9)).isLessThan(z * 9 * Math.sqrt(2.0 / n) * 1.5);
        // the fourth standardised moment of a Gaussian is 3 (sd sqrt(96/n)); a uniform would give 1.8
        assertThat(Math.abs(fourth - 3)).isLessThan(z * Math.sqrt(96.0 / n) * 1.5);
        assertThat(java.util.Arrays.stream(x).allMatch(v -> Math.abs(v - 2) <= 3 * MAX_Z + 1e-4)).as("within 8.58 sd").isTrue();
        // the same seed gives the same data; labels are zeros of the feature shape
        DataSet ds = new GaussianBatches(Layout.DENSE, 3, 1, 1, new double[] {2}, new double[] {3}, 11).nextDataSet();
        assertThat(values(ds.getFeatures())).containsExactly(java.util.Arrays.copyOf(x, 3));
        assertThat(ds.getLabels().shape()).containsExactly(3, 1);
        assertThat(ds.getLabels().sumNumber().doubleValue()).isZero();
    }

    @Test
    void badShapesAreRejected() {
        double[] one = {0};
        assertThatThrownBy(() -> new GaussianBatches(Layout.DENSE, 2, 1, 1, new double[] {0, 1}, one, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same, non-zero length");
        assertThatThrownBy(() -> new GaussianBatches(Layout.DENSE, 2, 1, 1, new double[0], new double[0], 1))
                .isInstanceOf(IllegalArgumentException.class);
        for (int[] s : new int[][] {{0, 1, 1}, {2, 0, 1}, {2, 1, 0}}) {
            assertThatThrownBy(() -> new GaussianBatches(Layout.NCHW, s[0], s[1], s[2], one, one, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
        }
        assertThatThrownBy(() -> new GaussianBatches(Layout.DENSE, 2, 2, 1, one, one, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no spatial extent");
        assertThatThrownBy(() -> new GaussianBatches(Layout.DENSE, 2, 1, 2, one, one, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new GaussianBatches(Layout.NCHW, 1, 1, 1, one, one, 1).shape()).containsExactly(1, 1, 1, 1);
    }

    @Test
    void generatorsStayInTheirDocumentedRanges() {
        Set<Layout> layouts = EnumSet.noneOf(Layout.class);
        Set<VarianceParameterisation> params = EnumSet.noneOf(VarianceParameterisation.class);
        Set<NetworkKind> kinds = EnumSet.noneOf(NetworkKind.class);
        qt().withExamples(300).forAll(BnGenerators.bnCases(3, BnGenerators.decays(0.6, 0.9))).checkAssert(c -> {
            layouts.add(c.layout());
            params.add(c.parameterisation());
            kinds.add(c.kind());
            assertThat(c.decay()).isBetween(0.6 - 1e-12, 0.9 + 1e-12);
            assertThat(c.channels()).isBetween(1, 3);
            assertThat(c.sigma()).hasSize(c.channels());
            assertThat(java.util.Arrays.stream(c.sigma()).allMatch(s -> s >= 0.1 - 1e-12 && s <= 3 + 1e-12)).as("sigma in [0.1, 3]").isTrue();
            assertThat(c.mu()).hasSize(c.channels());
            assertThat(java.util.Arrays.stream(c.mu()).allMatch(m -> m >= -3 && m <= 3)).as("mu in [-3, 3]").isTrue();
            assertThat(c.batch()).isBetween(2, 8);
            if (c.layout() == Layout.DENSE) {
                assertThat(c.height()).isEqualTo(1);
                assertThat(c.width()).isEqualTo(1);
            } else {
                assertThat(c.height()).isBetween(1, 4);
                assertThat(c.width()).isBetween(1, 4);
            }
            assertThat(c.samplesPerChannel()).isEqualTo((long) c.batch() * c.height() * c.width());
            assertThat(c.window()).isEqualTo(1 / (1 - c.decay()));
            assertThat(c.toString()).startsWith("BnCase{" + c.kind() + ", " + c.layout())
                    .contains("batch=" + c.batch(), "dataSeed=" + c.dataSeed());
            assertThat(c.batches().shape()[0]).isEqualTo(c.batch());
        });
        assertThat(layouts).isEqualTo(EnumSet.allOf(Layout.class));
        assertThat(params).isEqualTo(EnumSet.allOf(VarianceParameterisation.class));
        assertThat(kinds).isEqualTo(EnumSet.allOf(NetworkKind.class));
        // log-uniform windows: the default range reaches windows near 2 and near 10^4
        double[] extremes = {1, 0};
        qt().withExamples(400).forAll(BnGenerators.decays()).checkAssert(d -> {
            assertThat(d).isBetween(BnGenerators.MIN_DECAY - 1e-12, BnGenerators.MAX_DECAY + 1e-12);
            extremes[0] = Math.min(extremes[0], d);
            extremes[1] = Math.max(extremes[1], d);
        });
        assertThat(extremes[0]).isLessThan(0.7);
        assertThat(extremes[1]).isGreaterThan(0.99);
        assertThatThrownBy(() -> BnGenerators.decays(0, 0.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("need 0 < min <= max < 1");
        assertThatThrownBy(() -> BnGenerators.decays(0.6, 0.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BnGenerators.decays(0.5, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(BnGenerators.decays(0.5, 0.5)).isNotNull();
    }
}
