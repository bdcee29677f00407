package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.ChannelMoments;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link ActivationMoments} against a two-pass double loop over {@code getDouble}, for arrays read in
 * place (fresh, a row view with an offset, NHWC, dense, double) and arrays it must copy (a permuted
 * view, half precision).
 */
final class ActivationMomentsTest {
    /**
     * Both routes sum the same doubles in a different order (a few hundred roundings of 1.1e-16
     * relative each) and the shifted sums cancel at most (mean - K)^2 / var, a few units here: 1e-9
     * relative bounds both for the mean and the variance.
     */
    private static final double TOL = 1e-9;

    private static INDArray data(DataType type, long... shape) {
        // an offset mean far from zero and a small spread: the case a naive sum of squares gets wrong
        return data(type, 0.01, shape);
    }

    private static INDArray data(DataType type, double spread, long... shape) {
        Nd4j.getRandom().setSeed(11);
        return Nd4j.randn(DataType.DOUBLE, shape).muli(spread).addi(100).castTo(type);
    }

    private static void check(INDArray x, Layout layout) {
        int axis = layout.channelAxis();
        int channels = (int) x.size(axis);
        INDArray d = x.castTo(DataType.DOUBLE);
        long count = x.length() / channels;
        double[] mean = new double[channels];
        double[] var = new double[channels];
        long[] idx = new long[x.rank()];
        for (int pass = 0; pass < 2; pass++) {
            for (long i = 0; i < x.length(); i++) {
                long r = i;
                for (int a = x.rank() - 1; a >= 0; a--) {
                    idx[a] = r % x.size(a);
                    r /= x.size(a);
                }
                int c = (int) idx[axis];
                double v = d.getDouble(idx);
                if (pass == 0) {
                    mean[c] += v / count;
                } else {
                    var[c] += (v - mean[c]) * (v - mean[c]) / count;
                }
            }
        }
        ChannelMoments m = ActivationMoments.of(x, layout);
        assertThat(m.count()).isEqualTo(count);
        for (int c = 0; c < channels; c++) {
            assertThat(m.mean()[c]).as("mean " + c).isCloseTo(mean[c], within(TOL * Math.abs(mean[c])));
            assertThat(m.biasedVariance()[c]).as("var " + c).isCloseTo(var[c], within(TOL * var[c]));
        }
    }

    @Test
    void freshNchwFloat() {
        check(data(DataType.FLOAT, 3, 5, 4, 7), Layout.NCHW);
    }

    @Test
    void rowViewWithAnOffset() {
        INDArray all = data(DataType.FLOAT, 6, 5, 4, 7);
        INDArray view = all.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
        assertThat(view.offset()).isPositive();
        check(view, Layout.NCHW);
    }

    @Test
    void nhwcDenseAndDouble() {
        check(data(DataType.FLOAT, 2, 4, 3, 6), Layout.NHWC);
        check(data(DataType.FLOAT, 40, 9), Layout.DENSE);
        check(data(DataType.DOUBLE, 3, 5, 4, 7), Layout.NCHW);
    }

    @Test
    void arraysLongerThanOneBlockSplitMidChannel() {
        // 22,755 and 21,000 values: the 8,192-value blocks end inside a channel's run and inside a row
        check(data(DataType.FLOAT, 3, 5, 37, 41), Layout.NCHW);
        check(data(DataType.FLOAT, 3000, 7), Layout.DENSE);
        check(data(DataType.DOUBLE, 2, 3, 41, 43).get(NDArrayIndex.interval(1, 2), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.all()), Layout.NCHW);
    }

    @Test
    void interleavedChannelsAcrossBlocks() {
        // channel last: a first row of 9,000 channels ends past the first 8,192-value block, and blocks
        // of a 44,400-value NHWC array start mid-row; a row view of a dense array starts at an offset
        check(data(DataType.FLOAT, 3, 9000), Layout.DENSE);
        check(data(DataType.FLOAT, 3, 20, 20, 37), Layout.NHWC);
        check(data(DataType.DOUBLE, 5, 2000).get(NDArrayIndex.interval(2, 5), NDArrayIndex.all()), Layout.DENSE);
    }

    @Test
    void floatRunsOfEveryLengthModuloFourAndSizeOneAxes() {
        // runs of 1 to 9 values per channel (the four-way loop and its remainder), one example, one channel
        for (int w = 1; w <= 9; w++) {
            check(data(DataType.FLOAT, 2, 3, 1, w), Layout.NCHW);
        }
        check(data(DataType.FLOAT, 1, 1, 3, 5), Layout.NCHW);
        check(data(DataType.FLOAT, 1, 4, 1, 1), Layout.NCHW);
        check(data(DataType.FLOAT, 5, 1, 2, 3), Layout.NCHW);
    }

    @Test
    void copiedWhenNotReadableInPlace() {
        check(data(DataType.FLOAT, 4, 7, 5, 3).permute(0, 3, 2, 1), Layout.NCHW);
        check(data(DataType.HALF, 1, 3, 5, 4, 2), Layout.NCHW); // half: 0.0625 apart at 100
    }

    @Test
    void nonFiniteValuesGiveNonFiniteMoments() {
        INDArray x = data(DataType.FLOAT, 2, 3, 2, 2);
        x.putScalar(new long[] {1, 2, 1, 0}, Float.NaN);
        ChannelMoments m = ActivationMoments.of(x, Layout.NCHW);
        assertThat(m.mean()[2]).isNaN();
        assertThat(m.mean()[1]).isFinite();
    }
}
