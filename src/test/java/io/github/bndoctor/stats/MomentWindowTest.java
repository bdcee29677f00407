package io.github.bndoctor.stats;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The window of the last batches' moments and the (mean, variance) value it yields: eviction at
 * the capacity, pooling against a direct loop over the raw samples, validation at its boundaries.
 */
@Tag("unit")
class MomentWindowTest {
    /** Samples whose moments are exact in binary: the pooled values are compared with a loop over them. */
    private static final double[][] SAMPLES = {{1, 3}, {-2, 6, 2, 2}, {5, 5, 5}, {0.5, 1.5}};

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    private static double biasedVar(double[] x) {
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return s / x.length;
    }

    private static void add(MomentWindow w, double[] x) {
        w.add(x.length, new double[] {mean(x)}, new double[] {biasedVar(x)});
    }

    /** Mean and biased variance of all samples of the given batches, by one pass over the raw values. */
    private static double[] direct(int from, int to) {
        double s = 0;
        int n = 0;
        for (int b = from; b < to; b++) {
            for (double v : SAMPLES[b]) {
                s += v;
                n++;
            }
        }
        double m = s / n;
        double q = 0;
        for (int b = from; b < to; b++) {
            for (double v : SAMPLES[b]) {
                q += (v - m) * (v - m);
            }
        }
        return new double[] {m, q / n};
    }

    @Test
    void theWindowPoolsItsBatchesAndEvictsTheOldestAtCapacity() {
        MomentWindow w = new MomentWindow(3, 1);
        assertThat(w.capacity()).isEqualTo(3);
        assertThat(w.size()).isZero();
        assertThat(w.isFull()).isFalse();
        assertThatThrownBy(w::pooled).isInstanceOf(IllegalStateException.class).hasMessageContaining("no batches");
        for (int b = 0; b < 3; b++) {
            add(w, SAMPLES[b]);
            assertThat(w.size()).isEqualTo(b + 1);
            assertThat(w.isFull()).isEqualTo(b == 2);
            double[] expected = direct(0, b + 1);
            // a few roundings of values below 40: 1e-12 is far above them and far below any mistake (>= 0.1)
            assertThat(w.pooled().mean()[0]).isCloseTo(expected[0], within(1e-12));
            assertThat(w.pooled().variance()[0]).isCloseTo(expected[1], within(1e-12));
        }
        add(w, SAMPLES[3]);
        assertThat(w.size()).isEqualTo(3);
        assertThat(w.isFull()).isTrue();
        double[] expected = direct(1, 4);
        assertThat(w.pooled().mean()[0]).isCloseTo(expected[0], within(1e-12));
        assertThat(w.pooled().variance()[0]).isCloseTo(expected[1], within(1e-12));
    }

    @Test
    void channelsArePooledIndependently() {
        MomentWindow w = new MomentWindow(2, 2);
        w.add(2, new double[] {0, 10}, new double[] {1, 0});
        w.add(6, new double[] {4, 10}, new double[] {1, 2});
        MeanVariance p = w.pooled();
        // channel 0: mean (2*0 + 6*4)/8 = 3; variance (2*(1 + 9) + 6*(1 + 1))/8 = 4
        // channel 1: mean 10; variance (2*0 + 6*2)/8 = 1.5
        assertThat(p.mean()).containsExactly(3, 10);
        assertThat(p.variance()).containsExactly(4, 1.5);
    }

    @Test
    void theWindowRejectsBadShapesAndCountsAtTheirBoundaries() {
        assertThatThrownBy(() -> new MomentWindow(0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("capacity must be >= 1");
        assertThatThrownBy(() -> new MomentWindow(1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channels must be >= 1");
        MomentWindow w = new MomentWindow(1, 1);
        assertThat(w.isFull()).isFalse();
        assertThatThrownBy(() -> w.add(0, new double[] {0}, new double[] {0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count must be positive");
        assertThatThrownBy(() -> w.add(1, new double[] {0, 0}, new double[] {0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1 channels");
        assertThatThrownBy(() -> w.add(1, new double[] {0}, new double[] {0, 0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1 channels");
        assertThat(w.size()).isZero();
        w.add(1, new double[] {7}, new double[] {0});
        assertThat(w.isFull()).isTrue();
        assertThat(w.pooled()).isEqualTo(new MeanVariance(new double[] {7}, new double[] {0}));
    }

    @Test
    void meanVarianceIsAValueWithDefensiveCopiesAndAValidityCheck() {
        double[] m = {1, 2};
        double[] v = {0, 3};
        MeanVariance a = new MeanVariance(m, v);
        m[0] = 99;
        v[1] = 99;
        assertThat(a.mean()).containsExactly(1, 2);
        assertThat(a.variance()).containsExactly(0, 3);
        a.mean()[1] = 99;
        a.variance()[0] = 99;
        assertThat(a.mean()).containsExactly(1, 2);
        assertThat(a.variance()).containsExactly(0, 3);
        assertThat(a.channels()).isEqualTo(2);
        MeanVariance same = new MeanVariance(new double[] {1, 2}, new double[] {0, 3});
        assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(a).isNotEqualTo(new MeanVariance(new double[] {1, 2}, new double[] {0, 4}));
        assertThat(a).isNotEqualTo(new MeanVariance(new double[] {1, 3}, new double[] {0, 3}));
        assertThat(a).isNotEqualTo("MeanVariance");
        // swapping mean and variance must change the hash: 31 * h(mean) + h(variance) is not symmetric
        assertThat(new MeanVariance(new double[] {0, 3}, new double[] {1, 2}).hashCode()).isNotEqualTo(a.hashCode());
        assertThat(a).hasToString("MeanVariance{mean=[1.0, 2.0], variance=[0.0, 3.0]}");
        assertThatThrownBy(() -> new MeanVariance(new double[1], new double[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mean has 1 channels, variance 2");

        // zero variance is valid (a constant channel); the smallest negative one is not
        assertThat(a.isValid()).isTrue();
        assertThat(new MeanVariance(new double[] {0}, new double[] {-Double.MIN_VALUE}).isValid()).isFalse();
        assertThat(new MeanVariance(new double[] {1, 2}, new double[] {0, -1}).isValid()).isFalse();
        assertThat(new MeanVariance(new double[] {1, Double.NaN}, new double[] {0, 1}).isValid()).isFalse();
        assertThat(new MeanVariance(new double[] {1, 2}, new double[] {0, Double.POSITIVE_INFINITY}).isValid()).isFalse();
        assertThat(new MeanVariance(new double[] {Double.NEGATIVE_INFINITY}, new double[] {1}).isValid()).isFalse();
    }

    @Test
    void theMedianOfOddAndEvenCounts() {
        assertThat(Median.of(new double[0])).isNaN();
        assertThat(Median.of(new double[] {4})).isEqualTo(4);
        assertThat(Median.of(new double[] {9, 1, 5})).isEqualTo(5);
        assertThat(Median.of(new double[] {9, 1, 5, 2})).isEqualTo(3.5);
        double[] input = {3, 1, 2};
        Median.of(input);
        assertThat(input).containsExactly(3, 1, 2);
    }
}
