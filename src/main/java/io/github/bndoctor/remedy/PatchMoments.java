package io.github.bndoctor.remedy;

import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Exponentially weighted moments of the input patches of one linear map (dense layer, convolution or
 * depthwise convolution), and the per-channel mean and variance of the map's output that they imply
 * for given weights.
 *
 * <p>With {@code p} an input patch (the dense layer's input vector; for a convolution the
 * {@code k_h x k_w x C_in} window under one output position, zero padding included), the map's output
 * channel {@code o} is {@code z_o = w_o . p + b_o}, so over any set of patches
 * {@code E[z_o] = w_o . E[p] + b_o} and {@code Var[z_o] = w_o^T Cov[p] w_o} exactly (the biased,
 * divide-by-n variance, as DL4J's batch statistics). For a depthwise convolution each output channel
 * sees one input channel, so only the per-channel {@code k_h k_w x k_h k_w} blocks are kept.
 *
 * <p>Moments are sums weighted by {@code d^age} (age in accumulated batches) over every patch,
 * normalised by the summed weights, so decay 1 gives the plain pooled moments of every patch seen.
 * Accumulation runs in plain Java on one bulk copy of the input: patches are gathered column by column
 * (DL4J's "same" mode pads {@code floor(total/2)} before and the rest after) and only the upper
 * triangle of the second moment is summed, in double precision (a product of two floats is exact in
 * double). Projection goes through one ND4J matrix product per layer.
 */
final class PatchMoments {
    /** What kind of map. */
    enum Kind { DENSE, CONVOLUTION, DEPTHWISE }

    private final Kind kind;
    private final double decay;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final ConvolutionMode mode;
    private final boolean nhwc;
    private final int inChannels;
    private final int depthMultiplier;
    private final int maxPositions;
    /** patch length: n_in (dense), k_h k_w C_in (convolution), k_h k_w (depthwise, per channel) */
    private final int d;
    /** independent blocks: 1, or C_in for a depthwise convolution */
    private final int groups;
    /** weighted patch sums, [groups * d] */
    private final double[] sum;
    /** weighted outer-product sums, [groups * d * d], upper triangle (row <= column) only */
    private final double[] outer;
    /** gathered patch values of one group, column-major [d][positions] */
    private double[] cols = new double[0];
    private final double[] pair = new double[2];
    /** per sample: first input row and column of its window, and the window's origin in the input */
    private int[] rowStart = new int[0];
    private int[] colStart = new int[0];
    private int[] base = new int[0];
    private double weight;
    private long batches;

    private PatchMoments(Kind kind, double decay, int[] kernel, int[] stride, int[] padding, ConvolutionMode mode,
                         boolean nhwc, int inChannels, int depthMultiplier, int maxPositions) {
        this.kind = kind;
        this.maxPositions = maxPositions;
        this.decay = decay;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.mode = mode;
        this.nhwc = nhwc;
        this.inChannels = inChannels;
        this.depthMultiplier = depthMultiplier;
        int kk = kernel == null ? 1 : kernel[0] * kernel[1];
        this.d = switch (kind) {
            case DENSE -> inChannels;
            case CONVOLUTION -> kk * inChannels;
            case DEPTHWISE -> kk;
        };
        this.groups = kind == Kind.DEPTHWISE ? inChannels : 1;
        this.sum = new double[groups * d];
        this.outer = new double[groups * d * d];
    }

    /**
     * @param conf a dense, convolution or depthwise convolution layer's configuration (exact classes)
     * @param decay weight of the old moments per accumulated batch, in (0, 1]
     * @param maxPositions the most output positions (patches) one batch contributes, at least 1 (see {@link #add})
     * @return the accumulator
     */
    static PatchMoments of(org.deeplearning4j.nn.conf.layers.Layer conf, double decay, int maxPositions) {
        if (conf.getClass() == DenseLayer.class) {
            return new PatchMoments(Kind.DENSE, decay, null, null, null, null, false,
                    (int) ((DenseLayer) conf).getNIn(), 1, maxPositions);
        }
        ConvolutionLayer c = (ConvolutionLayer) conf;
        boolean depthwise = conf.getClass() == DepthwiseConvolution2D.class;
        return new PatchMoments(depthwise ? Kind.DEPTHWISE : Kind.CONVOLUTION, decay, c.getKernelSize().clone(),
                c.getStride().clone(), c.getPadding().clone(), c.getConvolutionMode(),
                c.getCnn2dDataFormat() == CNN2DFormat.NHWC, (int) c.getNIn(),
                depthwise ? ((DepthwiseConvolution2D) conf).getDepthMultiplier() : 1, maxPositions);
    }

    /**
     * @param conf a supported layer configuration
     * @return the number of second-moment entries the accumulator keeps: {@code D^2} for a dense layer
     *     ({@code D = n_in}) or convolution ({@code D = k_h k_w C_in}), {@code C_in (k_h k_w)^2} for a
     *     depthwise convolution
     */
    static long entries(org.deeplearning4j.nn.conf.layers.Layer conf) {
        if (conf.getClass() == DenseLayer.class) {
            long d = ((DenseLayer) conf).getNIn();
            return d * d;
        }
        ConvolutionLayer c = (ConvolutionLayer) conf;
        long kk = (long) c.getKernelSize()[0] * c.getKernelSize()[1];
        if (conf.getClass() == DepthwiseConvolution2D.class) {
            return c.getNIn() * kk * kk;
        }
        long d = kk * c.getNIn();
        return d * d;
    }

    /** @return batches accumulated */
    long batches() {
        return batches;
    }

    /**
     * Adds one batch of the map's input. A batch has {@code N} output positions (examples of a dense layer;
     * examples x output rows x output columns of a convolution). If {@code N} is at most
     * {@code maxPositions}, every position's patch is added. Otherwise {@code P = maxPositions} patches
     * are, at positions {@code q_j = floor(N frac(a beta + j alpha))}, {@code j = 0..P-1}, positions
     * numbered (example, row, column) in row-major order, {@code a} the number of batches accumulated
     * before, {@code alpha = (sqrt 5 - 1) / 2}, {@code beta = sqrt 2 - 1}; each weighs {@code N / P}. The
     * offset {@code a beta} is equidistributed, so every position is expected {@code P / N} times per
     * batch and the weighted moments are unbiased; the golden-ratio spacing spreads the samples over the
     * batch without aliasing to the image width.
     *
     * @param input the map's input as the layer receives it (after any preprocessor): {@code [mb, n_in]} or
     *     rank 4 in the layer's data format
     */
    void add(INDArray input) {
        if (kind == Kind.DENSE ? input.rank() != 2 : input.rank() != 4) {
            throw new IllegalStateException("a " + kind.name().toLowerCase(java.util.Locale.ROOT)
                    + " map's input of rank " + input.rank());
        }
        Source x = Source.of(input);
        Geometry g = kind == Kind.DENSE ? null : geometry(input.shape());
        int n = kind == Kind.DENSE ? (int) input.size(0) : g.positions();
        int[] sel = positions(n, maxPositions, batches);
        int m = sel.length;
        if (cols.length < d * m) {
            cols = new double[d * m];
        }
        if (batches > 0) {
            for (int i = 0; i < sum.length; i++) {
                sum[i] *= decay;
            }
            for (int i = 0; i < outer.length; i++) {
                outer[i] *= decay;
            }
        }
        double each = (double) n / m;
        for (int group = 0; group < groups; group++) {
            if (kind == Kind.DENSE) {
                for (int k = 0; k < m; k++) {
                    for (int t = 0; t < d; t++) {
                        cols[t * m + k] = x.at(sel[k] * d + t);
                    }
                }
            } else {
                g.gather(x, group, sel, cols);
            }
            accumulate(group, m, each);
        }
        weight = decay * weight + n;
        batches++;
    }

    /** Golden-ratio step of the sample positions within a batch. */
    static final double ALPHA = (Math.sqrt(5) - 1) / 2;
    /** Step of the sample offset from batch to batch. */
    static final double BETA = Math.sqrt(2) - 1;

    /**
     * @param n output positions of the batch
     * @param max most positions taken
     * @param a batches accumulated before
     * @return the positions taken (see {@link #add}), all of {@code 0..n-1} in order if {@code n <= max}
     */
    static int[] positions(int n, int max, long a) {
        int m = Math.min(n, max);
        int[] sel = new int[m];
        if (m == n) {
            for (int q = 0; q < n; q++) {
                sel[q] = q;
            }
            return sel;
        }
        double offset = frac(a * BETA);
        for (int j = 0; j < m; j++) {
            sel[j] = (int) Math.floor(n * frac(offset + j * ALPHA));
        }
        return sel;
    }

    private static double frac(double v) {
        return v - Math.floor(v);
    }

    /** Adds the gathered columns of one group: their sums and the upper triangle of their dot products. */
    private void accumulate(int group, int n, double each) {
        int base = group * d;
        for (int t = 0; t < d; t++) {
            int ct = t * n;
            double s = 0;
            for (int q = 0; q < n; q++) {
                s += cols[ct + q];
            }
            sum[base + t] += each * s;
            int row = (base + t) * d;
            int u = t;
            for (; u + 1 < d; u += 2) {
                dot2(cols, ct, u * n, n, pair);
                outer[row + u] += each * pair[0];
                outer[row + u + 1] += each * pair[1];
            }
            if (u < d) {
                outer[row + u] += each * dot(cols, ct, u * n, n);
            }
        }
    }

    /**
     * Dot products of {@code a[i, i + n)} with {@code a[j, j + n)} and {@code a[j + n, j + 2n)} in one pass
     * (the first column read once), two partial sums each, into {@code out[0]} and {@code out[1]}.
     */
    private static void dot2(double[] a, int i, int j, int n, double[] out) {
        double s0 = 0;
        double s1 = 0;
        double r0 = 0;
        double r1 = 0;
        int k2 = j + n;
        int k = 0;
        for (; k + 1 < n; k += 2) {
            double x0 = a[i + k];
            double x1 = a[i + k + 1];
            s0 += x0 * a[j + k];
            s1 += x1 * a[j + k + 1];
            r0 += x0 * a[k2 + k];
            r1 += x1 * a[k2 + k + 1];
        }
        if (k < n) {
            s0 += a[i + k] * a[j + k];
            r0 += a[i + k] * a[k2 + k];
        }
        out[0] = s0 + s1;
        out[1] = r0 + r1;
    }

    /** Dot product of {@code a[i, i + n)} and {@code a[j, j + n)} with four partial sums. */
    private static double dot(double[] a, int i, int j, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = 0;
        for (; k + 3 < n; k += 4) {
            s0 += a[i + k] * a[j + k];
            s1 += a[i + k + 1] * a[j + k + 1];
            s2 += a[i + k + 2] * a[j + k + 2];
            s3 += a[i + k + 3] * a[j + k + 3];
        }
        for (; k < n; k++) {
            s0 += a[i + k] * a[j + k];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * Reads an array's values in row-major order straight from its buffer (no copy for a plain
     * row-major float or double array), widened to double.
     */
    private static final class Source {
        private final FloatBuffer floats;
        private final DoubleBuffer doubles;

        private Source(FloatBuffer floats, DoubleBuffer doubles) {
            this.floats = floats;
            this.doubles = doubles;
        }

        static Source of(INDArray a) {
            INDArray c = a;
            if (c.dataType() != DataType.FLOAT && c.dataType() != DataType.DOUBLE) {
                c = c.castTo(DataType.DOUBLE);
            }
            if (c.ordering() != 'c' || c.isView() || c.offset() != 0 || c.data().length() != c.length()) {
                c = c.dup('c');
            }
            java.nio.ByteBuffer bytes = c.data().asNio().order(ByteOrder.nativeOrder());
            return c.dataType() == DataType.FLOAT ? new Source(bytes.asFloatBuffer(), null)
                    : new Source(null, bytes.asDoubleBuffer());
        }

        double at(int i) {
            return floats != null ? floats.get(i) : doubles.get(i);
        }
    }

    /** The values of {@code a} in row-major order, from one bulk copy. */
    static double[] values(INDArray a) {
        INDArray c = a.ordering() == 'c' && !a.isView() && a.offset() == 0 && a.data().length() == a.length() ? a
                : a.dup('c');
        if (c.dataType() == DataType.FLOAT) {
            float[] f = c.data().asFloat();
            double[] out = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = f[i];
            }
            return out;
        }
        return c.data().asDouble();
    }

    private Geometry geometry(long[] shape) {
        int mb = (int) shape[0];
        int c = (int) (nhwc ? shape[3] : shape[1]);
        int h = (int) (nhwc ? shape[1] : shape[2]);
        int w = (int) (nhwc ? shape[2] : shape[3]);
        if (c != inChannels) {
            throw new IllegalStateException("a convolution's input with " + c + " channels, expected " + inChannels);
        }
        int[] before = new int[2];
        int[] out = new int[2];
        int[] in = {h, w};
        for (int a = 0; a < 2; a++) {
            int total;
            if (mode == ConvolutionMode.Same) {
                int o = (in[a] + stride[a] - 1) / stride[a];
                total = Math.max(0, (o - 1) * stride[a] + kernel[a] - in[a]);
                before[a] = total / 2;
            } else {
                total = 2 * padding[a];
                before[a] = padding[a];
            }
            out[a] = (in[a] + total - kernel[a]) / stride[a] + 1;
        }
        // element strides of (example, channel, row, column)
        int[] st = nhwc ? new int[] {h * w * c, 1, w * c, c} : new int[] {c * h * w, h * w, w, 1};
        return new Geometry(mb, h, w, out[0], out[1], before[0], before[1], st);
    }

    /** Where a convolution's patches come from in its input. */
    private final class Geometry {
        final int mb;
        final int h;
        final int w;
        final int outH;
        final int outW;
        final int top;
        final int left;
        final int[] st;

        Geometry(int mb, int h, int w, int outH, int outW, int top, int left, int[] st) {
            this.mb = mb;
            this.h = h;
            this.w = w;
            this.outH = outH;
            this.outW = outW;
            this.top = top;
            this.left = left;
            this.st = st;
        }

        int positions() {
            return mb * outH * outW;
        }

        /**
         * Fills {@code cols[t * m + k]}, {@code t} the patch entry ordered (input channel, kernel row, kernel
         * column) as DL4J's convolution weights, {@code k} the sample at output position {@code sel[k]}
         * (example, row, column), zero where the window hangs over the padding; for a depthwise convolution
         * only channel {@code group}.
         */
        void gather(Source x, int group, int[] sel, double[] cols) {
            int m = sel.length;
            int plane = outH * outW;
            if (rowStart.length < m) {
                rowStart = new int[m];
                colStart = new int[m];
                base = new int[m];
            }
            for (int k = 0; k < m; k++) {
                int q = sel[k];
                int r = q % plane;
                rowStart[k] = (r / outW) * stride[0] - top;
                colStart[k] = (r % outW) * stride[1] - left;
                base[k] = (q / plane) * st[0] + rowStart[k] * st[2] + colStart[k] * st[3];
            }
            int c0 = kind == Kind.DEPTHWISE ? group : 0;
            int c1 = kind == Kind.DEPTHWISE ? group + 1 : inChannels;
            int t = 0;
            for (int c = c0; c < c1; c++) {
                for (int ky = 0; ky < kernel[0]; ky++) {
                    for (int kx = 0; kx < kernel[1]; kx++, t++) {
                        int offset = c * st[1] + ky * st[2] + kx * st[3];
                        int at = t * m;
                        for (int k = 0; k < m; k++) {
                            int iy = rowStart[k] + ky;
                            int ix = colStart[k] + kx;
                            cols[at + k] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x.at(base[k] + offset) : 0;
                        }
                    }
                }
            }
        }
    }

    /**
     * The output statistics for the map's current weights.
     *
     * @param map the runtime layer (its {@code W} and, if it has one, {@code b})
     * @return per output channel the mean and the biased variance, or {@code null} before the first batch
     */
    MeanVariance project(Layer map) {
        if (batches == 0) {
            return null;
        }
        double[] w = values(map.getParam("W"));
        double[] bias = map.paramTable().containsKey("b") ? values(map.getParam("b")) : null;
        double[] cov = new double[outer.length];
        double[] mean = new double[sum.length];
        for (int group = 0; group < groups; group++) {
            int base = group * d;
            for (int t = 0; t < d; t++) {
                mean[base + t] = sum[base + t] / weight;
            }
            for (int t = 0; t < d; t++) {
                for (int u = t; u < d; u++) {
                    double c = outer[(base + t) * d + u] / weight - mean[base + t] * mean[base + u];
                    cov[(base + t) * d + u] = c;
                    cov[(base + u) * d + t] = c;
                }
            }
        }
        if (kind == Kind.DEPTHWISE) {
            return projectDepthwise(w, bias, mean, cov);
        }
        int outChannels = w.length / d;
        // as [D, n_out]: the dense W [n_in, n_out] as it is; the convolution's W [n_out, C, kh, kw] transposed
        INDArray wd = Nd4j.create(w, kind == Kind.DENSE ? new long[] {d, outChannels} : new long[] {outChannels, d}, 'c');
        if (kind != Kind.DENSE) {
            wd = wd.transpose();
        }
        INDArray cw = Nd4j.create(cov, new long[] {d, d}, 'c').mmul(wd); // [D, n_out]
        double[] v = cw.muli(wd).sum(0).toDoubleVector();
        double[] m = new double[outChannels];
        for (int o = 0; o < outChannels; o++) {
            double mu = 0;
            for (int t = 0; t < d; t++) {
                mu += mean[t] * (kind == Kind.DENSE ? w[t * outChannels + o] : w[o * d + t]);
            }
            m[o] = mu + (bias == null ? 0 : bias[o]);
            v[o] = Math.max(0, v[o]);
        }
        return new MeanVariance(m, v);
    }

    private MeanVariance projectDepthwise(double[] wv, double[] bias, double[] mean, double[] cov) {
        // W [kh, kw, C, dm]; output channel c * dm + j
        int kk = d;
        int outChannels = inChannels * depthMultiplier;
        double[] m = new double[outChannels];
        double[] v = new double[outChannels];
        double[] wo = new double[kk];
        for (int c = 0; c < inChannels; c++) {
            for (int j = 0; j < depthMultiplier; j++) {
                int o = c * depthMultiplier + j;
                for (int t = 0; t < kk; t++) {
                    wo[t] = wv[(t * inChannels + c) * depthMultiplier + j];
                }
                double mu = 0;
                for (int t = 0; t < kk; t++) {
                    mu += wo[t] * mean[c * kk + t];
                }
                double q = 0;
                for (int s = 0; s < kk; s++) {
                    double row = 0;
                    for (int t = 0; t < kk; t++) {
                        row += cov[(c * kk + s) * kk + t] * wo[t];
                    }
                    q += wo[s] * row;
                }
                m[o] = mu + (bias == null ? 0 : bias[o]);
                v[o] = Math.max(0, q);
            }
        }
        return new MeanVariance(m, v);
    }
}
