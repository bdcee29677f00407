package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.ChannelMoments;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Per-channel mean and biased variance of one activation array, read straight from its buffer and
 * accumulated in double precision, without allocating an array: the sums are shifted by each
 * channel's first value ({@code K}), {@code mean = K + S1/n}, {@code var = (S2 - S1^2/n)/n} with
 * {@code S1 = sum(x - K)}, {@code S2 = sum((x - K)^2)} (Chan, Golub and LeVeque, "Algorithms for
 * Computing the Sample Variance", The American Statistician 37(3), 1983, sec. 3: the shifted
 * data algorithm; with K a sample of the channel, the cancellation costs no more digits than the
 * ratio of the mean's distance from K to the standard deviation, far below double's 16 for
 * float or double activations).
 *
 * <p>A float or double array in C order with default strides is read in place, so the array may live
 * in a DL4J workspace and be read during the forward pass; any other array is copied once, outside
 * every workspace, and that copy is freed at once.
 */
final class ActivationMoments {
    /** Values read per bulk copy into a per-thread scratch array, so reading allocates nothing per call. */
    private static final int BLOCK = 1 << 13;
    private static final ThreadLocal<double[]> DOUBLES = ThreadLocal.withInitial(() -> new double[BLOCK]);
    private static final ThreadLocal<float[]> FLOATS = ThreadLocal.withInitial(() -> new float[BLOCK]);

    private ActivationMoments() {
    }

    /**
     * @param x an activation in {@code layout} ({@code [outer, channels, inner]} in C order)
     * @param layout its layout
     * @return its per-channel moments (non-finite values make the mean or variance non-finite)
     */
    static ChannelMoments of(INDArray x, Layout layout) {
        boolean inPlace = (x.dataType() == DataType.FLOAT || x.dataType() == DataType.DOUBLE) && x.ordering() == 'c'
                && Shape.hasDefaultStridesForShape(x) && x.data().offset() == x.offset();
        if (inPlace) {
            return read(x, layout);
        }
        INDArray copy;
        try (var ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            copy = x.castTo(DataType.DOUBLE).dup('c');
        }
        try {
            return read(copy, layout);
        } finally {
            copy.close();
        }
    }

    private static ChannelMoments read(INDArray x, Layout layout) {
        int channels = (int) x.size(layout.channelAxis());
        long inner = 1;
        for (int a = layout.channelAxis() + 1; a < x.rank(); a++) {
            inner *= x.size(a);
        }
        long outer = x.length() / (channels * inner);
        long row = channels * inner;
        Sums s = new Sums(channels);
        long total = outer * row;
        boolean floats = x.dataType() == DataType.FLOAT;
        FloatBuffer floatBuf = floats ? x.data().asNioFloat() : null;
        DoubleBuffer doubleBuf = floats ? null : x.data().asNioDouble();
        int base = floats ? floatBuf.position() : doubleBuf.position(); // the view's offset: asNio* buffers start there
        float[] f = FLOATS.get();
        double[] d = DOUBLES.get();
        for (long at = 0; at < total; at += BLOCK) {
            int len = (int) Math.min(BLOCK, total - at);
            if (floats) {
                floatBuf.get(base + (int) at, f, 0, len);
            } else {
                doubleBuf.get(base + (int) at, d, 0, len);
            }
            if (inner == 1) { // channels interleaved (dense, NHWC): one value per channel in turn
                if (floats) {
                    for (int i = 0; i < len; i++) {
                        d[i] = f[i];
                    }
                }
                s.addInterleaved((int) (at % channels), d, len, at < row ? (int) Math.min(len, row - at) : 0);
                continue;
            }
            // channels in runs of inner values (NCHW): each run summed straight from the values read
            for (int p = 0; p < len; ) {
                long i = at + p;
                long j = i % inner; // position within the channel's run of inner values
                int seg = (int) Math.min(len - p, inner - j);
                int c = (int) ((i / inner) % channels);
                boolean first = i < row && j == 0;
                if (floats) {
                    s.add(c, f, p, seg, first);
                } else {
                    s.add(c, d, p, seg, first);
                }
                p += seg;
            }
        }
        return s.moments(outer * inner);
    }

    /** Shifted sums per channel. */
    private static final class Sums {
        private final double[] shift;
        private final double[] s1;
        private final double[] s2;

        Sums(int channels) {
            shift = new double[channels];
            s1 = new double[channels];
            s2 = new double[channels];
        }

        void add(int c, double[] v, int from, int len, boolean first) {
            if (first) {
                shift[c] = v[from];
            }
            double k = shift[c];
            double a0 = 0;
            double a1 = 0;
            double b0 = 0;
            double b1 = 0;
            int j = from;
            int end = from + len;
            for (; j + 1 < end; j += 2) { // two chains of additions, so the adds overlap
                double d0 = v[j] - k;
                double d1 = v[j + 1] - k;
                a0 += d0;
                a1 += d1;
                b0 += d0 * d0;
                b1 += d1 * d1;
            }
            if (j < end) {
                double d = v[j] - k;
                a0 += d;
                b0 += d * d;
            }
            s1[c] += a0 + a1;
            s2[c] += b0 + b1;
        }

        /** As {@link #add(int, double[], int, int, boolean)} for floats, in four chains of additions. */
        void add(int c, float[] v, int from, int len, boolean first) {
            if (first) {
                shift[c] = v[from];
            }
            double k = shift[c];
            double a0 = 0;
            double a1 = 0;
            double a2 = 0;
            double a3 = 0;
            double b0 = 0;
            double b1 = 0;
            double b2 = 0;
            double b3 = 0;
            int j = from;
            int end = from + len;
            for (; j + 3 < end; j += 4) {
                double d0 = v[j] - k;
                double d1 = v[j + 1] - k;
                double d2 = v[j + 2] - k;
                double d3 = v[j + 3] - k;
                a0 += d0;
                a1 += d1;
                a2 += d2;
                a3 += d3;
                b0 = Math.fma(d0, d0, b0);
                b1 = Math.fma(d1, d1, b1);
                b2 = Math.fma(d2, d2, b2);
                b3 = Math.fma(d3, d3, b3);
            }
            for (; j < end; j++) {
                double d = v[j] - k;
                a0 += d;
                b0 = Math.fma(d, d, b0);
            }
            s1[c] += (a0 + a1) + (a2 + a3);
            s2[c] += (b0 + b1) + (b2 + b3);
        }

        /**
         * Adds {@code len} values of channels {@code c, c + 1, ...} in turn (wrapping), the first
         * {@code firstRow} of which are the first row: each sets its channel's shift and adds zero.
         */
        void addInterleaved(int c, double[] v, int len, int firstRow) {
            int p = 0;
            for (; p < firstRow; p++) {
                shift[c] = v[p];
                if (++c == shift.length) {
                    c = 0;
                }
            }
            for (; p < len; p++) {
                double d = v[p] - shift[c];
                s1[c] += d;
                s2[c] += d * d;
                if (++c == shift.length) {
                    c = 0;
                }
            }
        }

        ChannelMoments moments(long count) {
            double[] mean = new double[shift.length];
            double[] var = new double[shift.length];
            for (int c = 0; c < mean.length; c++) {
                double d = s1[c] / count;
                mean[c] = shift[c] + d;
                var[c] = Math.max(0, s2[c] / count - d * d);
            }
            return ChannelMoments.ofBatch(mean, var, count);
        }
    }
}
