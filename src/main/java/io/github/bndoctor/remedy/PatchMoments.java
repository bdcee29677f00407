package io.github.bndoctor.remedy;

import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

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
 * normalised by the summed weights, so decay 1 gives the plain pooled moments of every patch seen. The
 * covariance is kept in two parts (the law of total variance over batches): the between-batch part, the weighted
 * outer products {@code n_b m_b m_b^T} of every accumulated batch's patch mean {@code m_b} (about {@code D^2 / 2}
 * multiply-adds per batch), and the within-batch part, the patches' outer products about their own batch's mean,
 * from every {@code r}-th accumulated batch only (the first, the {@code (r+1)}-th, ...), weighted by
 * {@code d_c^age} in those batches ({@code d_c = d^r} keeps its window in iterations the means'). With
 * {@code r = 1} and {@code d_c = d} the parts are not kept apart: every batch's outer products are summed about
 * zero and the covariance is {@code C / W - mean mean^T}, the same pooled covariance without the between part's
 * {@code D^2} per batch. The covariance is
 * {@code C_w / W_c + B / W - mean mean^T} ({@code C_w} the within sums over their weight {@code W_c}, {@code B}
 * the between sums over the means' weight {@code W}); with {@code r = 1} it is exactly the pooled covariance of
 * every accumulated patch, with {@code r > 1} the within part is an average over fewer batches. A batch that adds
 * no covariance adds only its patch sums, read without gathering where every position is taken (each input
 * plane summed over the batch, then summed under each window entry).
 * With a sample floor {@code S} the decay applied when a batch of {@code m} taken patches arrives is
 * {@code max(d, (S - m) / (S + m))}: an exponential window of per-batch weight {@code a} over batches of
 * {@code m} patches holds {@code m (1 + a) / (1 - a)} patches in Kish's effective sample size
 * ({@code (sum w)^2 / sum w^2}; Kish, Survey Sampling, 1965, section 11.7), so the floor keeps at least
 * {@code S} there when a batch has few patches (a dense layer at a small batch); the within part's decay per
 * covariance batch is {@code max(d_c, (S - m) / (S + m))}, the same floor on its own batches.
 * Accumulation runs in plain Java on the input's buffer: patches are gathered column by column
 * (DL4J's "same" mode pads {@code floor(total/2)} before and the rest after) and only the upper
 * triangle of the second moment is summed, in double precision (a product of two floats is exact in
 * double); a stride-1 depthwise map taking every position is summed from lag products instead. A dense or
 * convolution map whose batches bring at least {@link #NATIVE_WORK} multiply-adds keeps its full second
 * moment in native memory instead and adds each batch's gathered patches by one native double matrix product
 * (the same products, another summation order). Projection runs in plain Java for small maps
 * ({@code D^2 n_out} up to {@link #JAVA_PROJECTION_LIMIT}), else through one ND4J matrix product.
 */
final class PatchMoments {
    /** What kind of map. */
    enum Kind { DENSE, CONVOLUTION, DEPTHWISE }

    private final Kind kind;
    private final double decay;
    private final double minSamples;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final ConvolutionMode mode;
    private final boolean nhwc;
    private final int inChannels;
    private final int depthMultiplier;
    private final int maxPositions;
    /** accumulated batches per batch whose within-batch covariance is accumulated too */
    private final int covarianceEvery;
    /** weight of the old within-batch moments per covariance batch */
    private final double covarianceDecay;
    /**
     * every batch adds its covariance with the means' decay: the outer products are summed about zero, with no
     * between-batch part (the same pooled covariance without its cost)
     */
    private final boolean pooled;
    /** patch length: n_in (dense), k_h k_w C_in (convolution), k_h k_w (depthwise, per channel) */
    private final int d;
    /** independent blocks: 1, or C_in for a depthwise convolution */
    private final int groups;
    /** weighted patch sums, [groups * d] */
    private final double[] sum;
    /** this batch's sums of the taken patches (unweighted), [groups * d] */
    private final double[] batchSum;
    /**
     * weighted within-batch centred outer-product sums of the covariance batches, [groups * d * d], upper triangle
     * (row <= column) only; empty when native
     */
    private double[] outer = new double[0];
    /** weighted outer products of the batch means, {@code n_b m_b m_b^T}, as {@link #outer}; empty when native */
    private double[] between = new double[0];
    /**
     * the centred outer-product sums of a dense or convolution map whose batches bring at least {@link #NATIVE_WORK}
     * multiply-adds, full {@code [d, d]} double in native memory; {@code null} while the sums are kept in Java
     */
    private INDArray nativeOuter;
    /** the batch means' outer products of a map summed natively, full {@code [d, d]}, with {@link #nativeOuter} */
    private INDArray nativeBetween;
    /** {@link #batchSum} as a native column {@code [d, 1]}, for {@link #nativeBetween} */
    private INDArray nativeMean;
    /** the gathered patches in native memory, {@code [d, m]} row-major, for {@link #nativeOuter} */
    private INDArray patches;
    /** gathered patch values of one group, column-major [d][positions] */
    private double[] cols = new double[0];
    private final double[] pair = new double[2];
    private final double[] quad = new double[4];
    /** per sample: first input row and column of its window, and the window's origin in the input */
    private int[] rowStart = new int[0];
    private int[] colStart = new int[0];
    private int[] base = new int[0];
    private double weight;
    /** summed weights of the covariance batches */
    private double covWeight;
    private long batches;

    private PatchMoments(Kind kind, double decay, double minSamples, int[] kernel, int[] stride, int[] padding,
                         ConvolutionMode mode, boolean nhwc, int inChannels, int depthMultiplier, int maxPositions,
                         int covarianceEvery, double covarianceDecay) {
        this.kind = kind;
        this.covarianceEvery = covarianceEvery;
        this.covarianceDecay = covarianceDecay;
        this.pooled = covarianceEvery == 1 && covarianceDecay == decay;
        this.minSamples = minSamples;
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
        this.batchSum = new double[groups * d];
    }

    /**
     * @param conf a dense, convolution or depthwise convolution layer's configuration (exact classes)
     * @param decay weight of the old moments per accumulated batch, in (0, 1]
     * @param minSamples the sample floor {@code S} &gt;= 0 (see the class notes; 0: none)
     * @param maxPositions the most output positions (patches) one batch contributes, at least 1 (see {@link #add})
     * @param covarianceEvery accumulated batches per covariance batch, at least 1 (see {@link #add})
     * @param covarianceDecay weight of the old within-batch moments per covariance batch, in (0, 1]
     * @return the accumulator
     */
    static PatchMoments of(org.deeplearning4j.nn.conf.layers.Layer conf, double decay, int minSamples,
                           int maxPositions, int covarianceEvery, double covarianceDecay) {
        if (conf.getClass() == DenseLayer.class) {
            return new PatchMoments(Kind.DENSE, decay, minSamples, null, null, null, null, false,
                    (int) ((DenseLayer) conf).getNIn(), 1, maxPositions, covarianceEvery, covarianceDecay);
        }
        ConvolutionLayer c = (ConvolutionLayer) conf;
        boolean depthwise = conf.getClass() == DepthwiseConvolution2D.class;
        return new PatchMoments(depthwise ? Kind.DEPTHWISE : Kind.CONVOLUTION, decay, minSamples, c.getKernelSize().clone(),
                c.getStride().clone(), c.getPadding().clone(), c.getConvolutionMode(),
                c.getCnn2dDataFormat() == CNN2DFormat.NHWC, (int) c.getNIn(),
                depthwise ? ((DepthwiseConvolution2D) conf).getDepthMultiplier() : 1, maxPositions, covarianceEvery,
                covarianceDecay);
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
     * batch without aliasing to the image width. Every batch adds its patch sums and its mean's outer product;
     * the first batch and every {@code covarianceEvery}-th after it add their within-batch outer products too.
     *
     * @param input the map's input as the layer receives it (after any preprocessor): {@code [mb, n_in]} or
     *     rank 4 in the layer's data format
     */
    void add(INDArray input) {
        if (kind == Kind.DENSE ? input.rank() != 2 : input.rank() != 4) {
            throw new IllegalStateException("a " + kind.name().toLowerCase(java.util.Locale.ROOT)
                    + " map's input of rank " + input.rank());
        }
        Geometry g = kind == Kind.DENSE ? null : geometry(input.shape());
        int n = kind == Kind.DENSE ? (int) input.size(0) : g.positions();
        int[] sel = positions(n, maxPositions, batches);
        int m = sel.length;
        if (batches == 0) {
            if (kind != Kind.DEPTHWISE && (long) d * d * m >= NATIVE_WORK) {
                nativeOuter = Nd4j.zeros(DataType.DOUBLE, d, d);
                if (!pooled) {
                    nativeBetween = Nd4j.zeros(DataType.DOUBLE, d, d);
                    nativeMean = Nd4j.create(DataType.DOUBLE, d, 1);
                }
            } else {
                outer = new double[groups * d * d];
                between = new double[pooled ? 0 : groups * d * d];
            }
        }
        double floor = (minSamples - m) / (minSamples + m);
        double a = Math.max(decay, floor);
        double each = (double) n / m;
        Source x = Source.of(input);
        if (cols.length < d * m) {
            cols = new double[d * m];
        }
        if (batches % covarianceEvery == 0) {
            double ac = Math.max(covarianceDecay, floor);
            covWeight = ac * covWeight + n;
            if (nativeOuter != null) {
                addNative(x, g, sel, each, ac);
            } else {
                addCovariance(x, g, sel, each, ac);
            }
        } else {
            addBatchSums(x, g, sel);
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] = a * sum[i] + each * batchSum[i];
        }
        if (!pooled) {
            addBetween(m, each, a);
        }
        weight = a * weight + n;
        batches++;
    }

    /**
     * Adds one covariance batch in Java: {@code outer = ac outer + sum_q each (p_q - m_b)(p_q - m_b)^T} per group,
     * summed as {@code each sum_q p_q p_q^T - (each / m) s s^T} ({@code s} the batch's patch sums, {@code m_b = s / m};
     * about zero, {@code m_b} taken as 0, when pooled), and fills {@link #batchSum}.
     */
    private void addCovariance(Source x, Geometry g, int[] sel, double each, double ac) {
        int m = sel.length;
        for (int i = 0; i < outer.length; i++) {
            outer[i] *= ac;
        }
        boolean lagged = kind == Kind.DEPTHWISE && m == g.positions() && stride[0] == 1 && stride[1] == 1;
        for (int group = 0; group < groups; group++) {
            if (lagged) {
                g.lagSums(x, group);
            } else {
                if (kind == Kind.DENSE) {
                    gatherDense(x, sel);
                } else {
                    g.gather(x, group, sel, cols);
                }
                accumulate(group, m, each);
            }
        }
        if (!pooled) {
            addOuter(outer, -each / m, 1);
        }
    }

    /** Fills {@link #batchSum} with the sums of the taken patches, without their products. */
    private void addBatchSums(Source x, Geometry g, int[] sel) {
        int m = sel.length;
        if (kind == Kind.DENSE) {
            java.util.Arrays.fill(batchSum, 0);
            for (int k = 0; k < m; k++) {
                int row = sel[k] * d;
                for (int t = 0; t < d; t++) {
                    batchSum[t] += x.at(row + t);
                }
            }
        } else if (m == g.positions()) {
            g.planeSums(x);
        } else {
            for (int group = 0; group < groups; group++) {
                g.gather(x, group, sel, cols);
                rawSums(group, m);
            }
        }
    }

    /**
     * {@code between = a between + (each / m) s s^T} per group ({@code n_b m_b m_b^T}, {@code s} the batch's patch
     * sums, {@code m_b = s / m}, {@code n_b = each m}).
     */
    private void addBetween(int m, double each, double a) {
        if (nativeBetween != null) {
            nativeMean.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer().put(batchSum, 0, d);
            Nd4j.gemm(nativeMean, nativeMean, nativeBetween, false, true, each / m, a);
            return;
        }
        addOuter(between, each / m, a);
    }

    /** {@code target = scale target + alpha s s^T} per group over the upper triangle, {@code s} = {@link #batchSum}. */
    private void addOuter(double[] target, double alpha, double scale) {
        for (int group = 0; group < groups; group++) {
            int base = group * d;
            for (int t = 0; t < d; t++) {
                double st = alpha * batchSum[base + t];
                int row = (base + t) * d;
                for (int u = t; u < d; u++) {
                    target[row + u] = scale * target[row + u] + st * batchSum[base + u];
                }
            }
        }
    }

    /**
     * Least multiply-adds per batch ({@code m D^2}, {@code m} positions taken) for which a dense or convolution
     * map's second moments are summed by a native double matrix product instead of plain Java: 2^22, where the
     * product's few native calls and its copy of the {@code m D} patches are a small part of the arithmetic
     * (docs/record.md has the timings). Decided on a map's first batch.
     */
    static final long NATIVE_WORK = 1L << 22;

    /**
     * Adds one covariance batch to the native second moments: {@code nativeOuter = ac nativeOuter + each X^T X} in
     * one double matrix product ({@code X} the {@code m x D} taken patches, gathered in Java as on the Java path and
     * widened from float exactly, so when pooled the products are exact and only the summation order differs;
     * otherwise each row first less the batch's mean), and fills {@link #batchSum} from the same gathered values.
     */
    private void addNative(Source x, Geometry g, int[] sel, double each, double ac) {
        int m = sel.length;
        if (patches == null || patches.size(1) != m) {
            patches = Nd4j.create(DataType.DOUBLE, d, m);
        }
        if (kind == Kind.DENSE) {
            gatherDense(x, sel);
        } else {
            g.gather(x, 0, sel, cols);
        }
        rawSums(0, m);
        for (int t = 0; t < (pooled ? 0 : d); t++) {
            double mu = batchSum[t] / m;
            int at = t * m;
            for (int q = 0; q < m; q++) {
                cols[at + q] -= mu;
            }
        }
        patches.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer().put(cols, 0, d * m);
        Nd4j.gemm(patches, patches, nativeOuter, false, true, each, ac);
    }

    /** Fills {@code cols[t * m + k]} with entry {@code t} of the dense input's row {@code sel[k]}. */
    private void gatherDense(Source x, int[] sel) {
        int m = sel.length;
        for (int k = 0; k < m; k++) {
            for (int t = 0; t < d; t++) {
                cols[t * m + k] = x.at(sel[k] * d + t);
            }
        }
    }

    /** Sets the group's {@link #batchSum} to the sums of its gathered columns. */
    private void rawSums(int group, int n) {
        int base = group * d;
        for (int t = 0; t < d; t++) {
            int ct = t * n;
            double s = 0;
            for (int q = 0; q < n; q++) {
                s += cols[ct + q];
            }
            batchSum[base + t] = s;
        }
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

    /**
     * Adds the gathered columns of one group: their sums and the upper triangle of their dot products, in
     * blocks of two rows by two columns (four dot products from four column reads per position).
     */
    private void accumulate(int group, int n, double each) {
        int base = group * d;
        rawSums(group, n);
        double[] block = quad;
        for (int t = 0; t < d; t += 2) {
            int row = (base + t) * d;
            if (t + 1 == d) {
                outer[row + t] += each * dot(cols, t * n, t * n, n);
                break;
            }
            for (int u = t; u < d; u += 2) {
                if (u + 1 == d) {
                    dot2(cols, u * n, t * n, n, pair);
                    outer[row + u] += each * pair[0];
                    outer[row + d + u] += each * pair[1];
                    break;
                }
                dot4(cols, t * n, u * n, n, block);
                outer[row + u] += each * block[0];
                outer[row + u + 1] += each * block[1];
                if (u > t) {
                    outer[row + d + u] += each * block[2];
                }
                outer[row + d + u + 1] += each * block[3];
            }
        }
    }

    /**
     * The dot products of rows {@code t, t + 1} with rows {@code u, u + 1} of a column-major block
     * ({@code a[i + r n, i + (r + 1) n)} is row {@code t + r}, likewise from {@code j}), into
     * {@code out = {t.u, t.(u+1), (t+1).u, (t+1).(u+1)}}.
     */
    private static void dot4(double[] a, int i, int j, int n, double[] out) {
        double s00 = 0;
        double s01 = 0;
        double s10 = 0;
        double s11 = 0;
        int i1 = i + n;
        int j1 = j + n;
        for (int k = 0; k < n; k++) {
            double x0 = a[i + k];
            double x1 = a[i1 + k];
            double y0 = a[j + k];
            double y1 = a[j1 + k];
            s00 += x0 * y0;
            s01 += x0 * y1;
            s10 += x1 * y0;
            s11 += x1 * y1;
        }
        out[0] = s00;
        out[1] = s01;
        out[2] = s10;
        out[3] = s11;
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
        private float[] scratch = new float[0];

        private Source(FloatBuffer floats, DoubleBuffer doubles) {
            this.floats = floats;
            this.doubles = doubles;
        }

        static Source of(INDArray a) {
            INDArray c = a;
            if (c.dataType() != DataType.FLOAT && c.dataType() != DataType.DOUBLE) {
                c = c.castTo(DataType.DOUBLE);
            }
            if (!rowMajorBuffer(c)) {
                c = c.dup('c');
            }
            java.nio.ByteBuffer bytes = c.data().asNio().order(ByteOrder.nativeOrder());
            return c.dataType() == DataType.FLOAT ? new Source(bytes.asFloatBuffer(), null)
                    : new Source(null, bytes.asDoubleBuffer());
        }

        double at(int i) {
            return floats != null ? floats.get(i) : doubles.get(i);
        }

        /** Adds {@code n} values from {@code from} on to {@code dst[0, n)}, widened to double. */
        void addTo(int from, double[] dst, int n) {
            if (doubles != null) {
                for (int i = 0; i < n; i++) {
                    dst[i] += doubles.get(from + i);
                }
                return;
            }
            if (scratch.length < n) {
                scratch = new float[n];
            }
            floats.get(from, scratch, 0, n);
            for (int i = 0; i < n; i++) {
                dst[i] += scratch[i];
            }
        }

        /** Copies {@code n} values from {@code from} on into {@code dst[at, at + n)}, widened to double. */
        void copy(int from, double[] dst, int at, int n) {
            if (doubles != null) {
                doubles.get(from, dst, at, n);
                return;
            }
            if (scratch.length < n) {
                scratch = new float[n];
            }
            floats.get(from, scratch, 0, n);
            for (int i = 0; i < n; i++) {
                dst[at + i] = scratch[i];
            }
        }
    }

    /**
     * Whether {@code a}'s buffer holds exactly its elements in row-major order, from its start: C order,
     * no view, no offset, the buffer's length, and C-order strides (a permuted array reports order
     * {@code 'c'} and is no view, yet its buffer is not in its row-major order).
     */
    private static boolean rowMajorBuffer(INDArray a) {
        return a.ordering() == 'c' && !a.isView() && a.offset() == 0 && a.data().length() == a.length()
                && Shape.hasDefaultStridesForShape(a);
    }

    /**
     * The values of {@code a} in row-major order, from one bulk copy: its buffer as it is where that
     * is {@link #rowMajorBuffer row-major}, else a row-major copy.
     */
    static double[] values(INDArray a) {
        INDArray c = rowMajorBuffer(a) ? a : a.dup('c');
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
         * Sets {@link #batchSum} to the sums over every output position of each patch entry, without gathering:
         * each input channel's planes are summed over the batch first, then entry {@code (c, k_y, k_x)} is the sum
         * of that plane at {@code (o_y s_y + k_y - top, o_x s_x + k_x - left)} over the output positions
         * {@code (o_y, o_x)} whose window entry lies inside the input (zero padding elsewhere). Cost per channel:
         * {@code mb h w} additions and {@code k_h k_w outH outW} reads.
         */
        void planeSums(Source x) {
            int kh = kernel[0];
            int kw = kernel[1];
            if (plane.length < h * w) {
                plane = new double[h * w];
            }
            for (int c = 0; c < inChannels; c++) {
                java.util.Arrays.fill(plane, 0, h * w, 0);
                for (int b = 0; b < mb; b++) {
                    int origin = b * st[0] + c * st[1];
                    if (!nhwc) {
                        x.addTo(origin, plane, h * w);
                    } else {
                        for (int y = 0; y < h; y++) {
                            for (int xx = 0; xx < w; xx++) {
                                plane[y * w + xx] += x.at(origin + y * st[2] + xx * st[3]);
                            }
                        }
                    }
                }
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        double s = 0;
                        for (int oy = 0; oy < outH; oy++) {
                            int iy = oy * stride[0] + ky - top;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int ox = 0; ox < outW; ox++) {
                                int ix = ox * stride[1] + kx - left;
                                if (ix >= 0 && ix < w) {
                                    s += plane[iy * w + ix];
                                }
                            }
                        }
                        batchSum[(c * kh + ky) * kw + kx] = s;
                    }
                }
            }
        }

        /**
         * Adds the moments of channel {@code group}'s patches at every output position of a stride-1 depthwise
         * map, weight 1 each, without gathering the patches. At stride 1 the window entry {@code s = (s_y, s_x)}
         * of the patch at output position {@code q} is the input at {@code r = q + s - (top, left)}, so
         * {@code sum_q p_s p_t} is the sum of the lag products {@code x[r] x[r + t - s]} (zero where either
         * leaves the input) over the rectangle of {@code r} that the output positions map to, and
         * {@code sum_q p_s} the sum of {@code x[r]} over it. The lag products of the
         * {@code L = ((2 k_h - 1)(2 k_w - 1) + 1) / 2} lags of one half plane (the other half by symmetry) are
         * summed over the batch once per input pixel and every rectangle is read from their 2D prefix sums:
         * about {@code L} multiply-adds per input pixel instead of {@code k_h k_w (k_h k_w + 1) / 2} per output
         * position. Exact in double as the gathered sums (a product of two floats is exact in double; only the
         * summation order differs).
         */
        void lagSums(Source x, int group) {
            int kh = kernel[0];
            int kw = kernel[1];
            int spanW = 2 * kw - 1;
            int lags = ((2 * kh - 1) * spanW + 1) / 2;
            int stridePlane = w + 1;
            int tableSize = (h + 1) * stridePlane;
            if (lagTables.length < lags + 1 || lagTables[0].length < tableSize) {
                lagTables = new double[lags + 1][tableSize];
            }
            if (plane.length < h * w) {
                plane = new double[h * w];
            }
            for (int l = 0; l <= lags; l++) {
                java.util.Arrays.fill(lagTables[l], 0, tableSize, 0);
            }
            // table l < lags: lag number l of the half plane (dy > 0, or dy == 0 and dx >= 0), at [(y + 1) (w + 1) + x + 1];
            // table lags: the plain sums
            for (int b = 0; b < mb; b++) {
                int origin = b * st[0] + group * st[1];
                if (!nhwc) {
                    x.copy(origin, plane, 0, h * w);
                } else {
                    for (int y = 0; y < h; y++) {
                        for (int xx = 0; xx < w; xx++) {
                            plane[y * w + xx] = x.at(origin + y * st[2] + xx * st[3]);
                        }
                    }
                }
                double[] ones = lagTables[lags];
                for (int y = 0; y < h; y++) {
                    int row = (y + 1) * stridePlane + 1;
                    for (int xx = 0; xx < w; xx++) {
                        ones[row + xx] += plane[y * w + xx];
                    }
                }
                for (int l = 0; l < lags; l++) {
                    int dy = (l + kw - 1) / spanW;
                    int dx = (l + kw - 1) % spanW - (kw - 1);
                    double[] table = lagTables[l];
                    int x0 = Math.max(0, -dx);
                    int x1 = Math.min(w, w - dx);
                    for (int y = 0; y + dy < h; y++) {
                        int row = (y + 1) * stridePlane + 1;
                        int a = y * w;
                        int c = (y + dy) * w + dx;
                        for (int xx = x0; xx < x1; xx++) {
                            table[row + xx] += plane[a + xx] * plane[c + xx];
                        }
                    }
                }
            }
            for (int l = 0; l <= lags; l++) {
                double[] table = lagTables[l];
                for (int y = 1; y <= h; y++) {
                    int row = y * stridePlane;
                    double run = 0;
                    for (int xx = 1; xx <= w; xx++) {
                        run += table[row + xx];
                        table[row + xx] = run + table[row - stridePlane + xx];
                    }
                }
            }
            int base = group * d;
            for (int t = 0; t < d; t++) {
                int ty = t / kw;
                int tx = t % kw;
                batchSum[base + t] = rect(lagTables[lags], ty, tx);
                int row = (base + t) * d;
                for (int u = t; u < d; u++) {
                    int dy = u / kw - ty;
                    int dx = u % kw - tx;
                    // u >= t, so dy > 0 or (dy == 0 and dx >= 0): lag (dy, dx) of the half plane over the rectangle of t
                    outer[row + u] += rect(lagTables[dy * spanW + dx], ty, tx);
                }
            }
        }

        /** Sum of a prefix-summed table over the input positions {@code q + (sy - top, sx - left)} of the output positions q. */
        private double rect(double[] table, int sy, int sx) {
            int y0 = Math.max(0, sy - top);
            int y1 = Math.min(h, sy - top + outH);
            int x0 = Math.max(0, sx - left);
            int x1 = Math.min(w, sx - left + outW);
            if (y0 >= y1 || x0 >= x1) {
                return 0;
            }
            int sw = w + 1;
            return table[y1 * sw + x1] - table[y0 * sw + x1] - table[y1 * sw + x0] + table[y0 * sw + x0];
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
            if (!nhwc && kind == Kind.CONVOLUTION && m == positions() && kernel[0] == 1 && kernel[1] == 1
                    && stride[0] == 1 && stride[1] == 1 && outH == h && outW == w) {
                // a 1x1, stride-1, unpadded map taking every position: each channel's plane of each example as it is
                for (int c = 0; c < inChannels; c++) {
                    for (int b = 0; b < mb; b++) {
                        x.copy(b * st[0] + c * st[1], cols, c * m + b * plane, plane);
                    }
                }
                return;
            }
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

    /** Per lag, the sums over the batch of the lag products, then their 2D prefix sums: [lag][(h + 1) (w + 1)]. */
    private double[][] lagTables = new double[0][];
    /** One example's channel plane, row-major [h][w]. */
    private double[] plane = new double[0];


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
        return project(weights(map), map.paramTable().containsKey("b") ? values(map.getParam("b")) : null);
    }

    /**
     * The convolution that a convolution followed by unpadded average pooling is: a {@code k} kernel at stride
     * {@code s} and padding {@code p} (truncate), then {@code k_p} pooling at stride {@code s_p}, read the input patch
     * of {@code k + s (k_p - 1)} rows and columns at stride {@code s s_p} and padding {@code p}: pooled output
     * {@code i} averages the convolution's outputs {@code i s_p + a}, {@code a < k_p}, which read input rows
     * {@code (i s_p + a) s - p + u = i (s s_p) - p + (u + s a)}, {@code u < k}.
     *
     * @param conv a convolution, depthwise or separable convolution in truncate mode, or in mode Same at stride 1 with
     *     odd kernels (padding {@code (k - 1) / 2})
     * @param pool an undilated average pooling, unpadded in truncate mode or in mode Same where it pads nothing, in the
     *     convolution's layout
     * @return the composed convolution's configuration (a depthwise one for a depthwise map)
     */
    static org.deeplearning4j.nn.conf.layers.Layer averagePooledConf(ConvolutionLayer conv, SubsamplingLayer pool) {
        int[] k = conv.getKernelSize();
        int[] s = conv.getStride();
        int[] sp = pool.getStride();
        int[] composed = pooledKernel(conv, pool);
        int kh = composed[0];
        int kw = composed[1];
        // mode Same at stride 1 with odd kernels pads (k - 1) / 2 on every side whatever the input size
        boolean same = conv.getConvolutionMode() == ConvolutionMode.Same;
        int ph = same ? (k[0] - 1) / 2 : conv.getPadding()[0];
        int pw = same ? (k[1] - 1) / 2 : conv.getPadding()[1];
        if (conv.getClass() == DepthwiseConvolution2D.class) {
            DepthwiseConvolution2D d = (DepthwiseConvolution2D) conv;
            return new DepthwiseConvolution2D.Builder(kh, kw).stride(s[0] * sp[0], s[1] * sp[1]).padding(ph, pw)
                    .convolutionMode(ConvolutionMode.Truncate).depthMultiplier(d.getDepthMultiplier()).nIn(d.getNIn())
                    .nOut(d.getNOut()).dataFormat(conv.getCnn2dDataFormat()).build();
        }
        return new ConvolutionLayer.Builder(kh, kw).stride(s[0] * sp[0], s[1] * sp[1]).padding(ph, pw)
                .convolutionMode(ConvolutionMode.Truncate).nIn(conv.getNIn()).nOut(conv.getNOut())
                .dataFormat(conv.getCnn2dDataFormat()).build();
    }

    /** The composed kernel {@code k + s (k_p - 1)} along rows and columns (see {@link #averagePooledConf}). */
    private static int[] pooledKernel(ConvolutionLayer conv, SubsamplingLayer pool) {
        int[] k = conv.getKernelSize();
        int[] s = conv.getStride();
        int[] kp = pool.getKernelSize();
        return new int[] {k[0] + s[0] * (kp[0] - 1), k[1] + s[1] * (kp[1] - 1)};
    }

    /**
     * The weights of {@link #averagePooledConf}: {@code W'(q, U, V) = sum W(q, u, v) / (k_p,h k_p,w)} over
     * {@code U = u + s_h a}, {@code V = v + s_w b}, {@code a < k_p,h}, {@code b < k_p,w}, each kernel plane {@code q}
     * (an output and input channel of a convolution, {@code [n_out, C, k_h, k_w]}, or a channel and multiplier of a
     * depthwise convolution, {@code [k_h, k_w, C, dm]}).
     *
     * @param w the convolution's weights in its layout ({@link #weights}: a separable map's composed)
     * @param conv the convolution
     * @param pool the average pooling after it
     * @return the composed convolution's weights, in the same layout
     */
    static double[] averagePooled(double[] w, ConvolutionLayer conv, SubsamplingLayer pool) {
        int[] k = conv.getKernelSize();
        int[] s = conv.getStride();
        int[] kp = pool.getKernelSize();
        int[] composed = pooledKernel(conv, pool);
        int kh = composed[0];
        int kw = composed[1];
        boolean depthwise = conv.getClass() == DepthwiseConvolution2D.class;
        int planes = w.length / (k[0] * k[1]);
        double scale = 1.0 / (kp[0] * kp[1]);
        double[] out = new double[planes * kh * kw];
        for (int q = 0; q < planes; q++) {
            for (int u = 0; u < k[0]; u++) {
                for (int v = 0; v < k[1]; v++) {
                    double x = scale * w[depthwise ? (u * k[1] + v) * planes + q : (q * k[0] + u) * k[1] + v];
                    for (int a = 0; a < kp[0]; a++) {
                        for (int b = 0; b < kp[1]; b++) {
                            int r = u + s[0] * a;
                            int c = v + s[1] * b;
                            out[depthwise ? (r * kw + c) * planes + q : (q * kh + r) * kw + c] += x;
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * The map's weights as one linear map of its input patch, row-major: a dense layer's {@code W [n_in, n_out]}, a
     * convolution's {@code W [n_out, C, k_h, k_w]}, a depthwise convolution's {@code W [k_h, k_w, C, dm]}, and for a
     * separable convolution (a depthwise convolution, depth multiplier {@code dm}, then a 1x1 convolution, DL4J's
     * {@code W [dm, C, k_h, k_w]} and {@code pW [n_out, C dm, 1, 1]}) the single convolution they compose,
     * {@code W'[o, c, u, v] = sum_j pW[o, c dm + j] W[j, c, u, v]} (the depthwise output channel {@code c dm + j}).
     *
     * @param map a supported runtime layer
     * @return its weights as a convolution, dense or depthwise map
     */
    static double[] weights(Layer map) {
        double[] w = values(map.getParam("W"));
        if (map.conf().getLayer().getClass() != SeparableConvolution2D.class) {
            return w;
        }
        double[] pw = values(map.getParam("pW"));
        long[] shape = map.getParam("W").shape(); // [dm, C, kh, kw]
        int dm = (int) shape[0];
        int channels = (int) shape[1];
        int kk = (int) (shape[2] * shape[3]);
        int outChannels = pw.length / (channels * dm);
        double[] out = new double[outChannels * channels * kk];
        for (int o = 0; o < outChannels; o++) {
            for (int c = 0; c < channels; c++) {
                for (int j = 0; j < dm; j++) {
                    double p = pw[o * channels * dm + c * dm + j];
                    int from = (j * channels + c) * kk;
                    int to = (o * channels + c) * kk;
                    for (int t = 0; t < kk; t++) {
                        out[to + t] += p * w[from + t];
                    }
                }
            }
        }
        return out;
    }

    /**
     * The output statistics for given weights in the map's own layout.
     *
     * @param w the weights as the map stores them, row-major (dense {@code [n_in, n_out]}, convolution
     *     {@code [n_out, C, k_h, k_w]}, depthwise {@code [k_h, k_w, C, dm]})
     * @param bias the bias per output channel, or {@code null} for none
     * @return per output channel the mean and the biased variance, or {@code null} before the first batch
     */
    MeanVariance project(double[] w, double[] bias) {
        if (batches == 0) {
            return null;
        }
        if (nativeOuter != null) {
            return projectNative(w, bias);
        }
        double[] cov = new double[outer.length];
        double[] mean = new double[sum.length];
        for (int group = 0; group < groups; group++) {
            int base = group * d;
            for (int t = 0; t < d; t++) {
                mean[base + t] = sum[base + t] / weight;
            }
            for (int t = 0; t < d; t++) {
                for (int u = t; u < d; u++) {
                    int at = (base + t) * d + u;
                    double c = outer[at] / covWeight + (pooled ? 0 : between[at] / weight)
                            - mean[base + t] * mean[base + u];
                    cov[(base + t) * d + u] = c;
                    cov[(base + u) * d + t] = c;
                }
            }
        }
        if (kind == Kind.DEPTHWISE) {
            return projectDepthwise(w, bias, mean, cov);
        }
        int outChannels = w.length / d;
        if ((long) d * d * outChannels <= JAVA_PROJECTION_LIMIT) {
            return projectInJava(w, bias, mean, cov, outChannels);
        }
        INDArray wd = weightsByColumn(w, outChannels);
        INDArray cw = Nd4j.create(cov, new long[] {d, d}, 'c').mmul(wd); // [D, n_out]
        double[] v = cw.muli(wd).sum(0).toDoubleVector();
        double[] m = new double[outChannels];
        for (int o = 0; o < outChannels; o++) {
            m[o] = projectMean(w, mean, o, outChannels) + (bias == null ? 0 : bias[o]);
            v[o] = Math.max(0, v[o]);
        }
        return new MeanVariance(m, v);
    }

    /**
     * The projection of the native moments, without forming their covariance:
     * {@code Var[z_o] = w_o^T S w_o / weight - (w_o . mean)^2} with {@code S = (weight / W_c) C_w + B} (see the
     * class notes), {@code w_o^T S w_o} for every {@code o} from one native double matrix product {@code S W^T}.
     */
    private MeanVariance projectNative(double[] w, double[] bias) {
        int outChannels = w.length / d;
        double[] mean = new double[d];
        for (int t = 0; t < d; t++) {
            mean[t] = sum[t] / weight;
        }
        INDArray wd = weightsByColumn(w, outChannels);
        INDArray moments = pooled ? nativeOuter : nativeOuter.mul(weight / covWeight).addi(nativeBetween);
        double[] q = moments.mmul(wd).muli(wd).sum(0).toDoubleVector();
        double[] m = new double[outChannels];
        double[] v = new double[outChannels];
        for (int o = 0; o < outChannels; o++) {
            double mu = projectMean(w, mean, o, outChannels);
            m[o] = mu + (bias == null ? 0 : bias[o]);
            v[o] = Math.max(0, q[o] / weight - mu * mu);
        }
        return new MeanVariance(m, v);
    }

    /** {@code w_o . mean} for a dense ({@code W [n_in, n_out]}) or convolution ({@code W [n_out, D]}) map. */
    private double projectMean(double[] w, double[] mean, int o, int outChannels) {
        double mu = 0;
        for (int t = 0; t < d; t++) {
            mu += mean[t] * (kind == Kind.DENSE ? w[t * outChannels + o] : w[o * d + t]);
        }
        return mu;
    }

    /** The weights as {@code [D, n_out]}: the dense W {@code [n_in, n_out]} as it is, the convolution's {@code [n_out, C, kh, kw]} transposed. */
    private INDArray weightsByColumn(double[] w, int outChannels) {
        INDArray wd = Nd4j.create(w, kind == Kind.DENSE ? new long[] {d, outChannels} : new long[] {outChannels, d}, 'c');
        return kind == Kind.DENSE ? wd : wd.transpose();
    }

    /**
     * Largest {@code D^2 n_out} projected in plain Java; above it one ND4J matrix product (whose fixed cost of
     * a few native calls outweighs the arithmetic of a small map).
     */
    static final long JAVA_PROJECTION_LIMIT = 1L << 21;

    /** {@code w_o^T Cov w_o} and {@code w_o . mean + b_o} per output channel, by direct loops over the full covariance. */
    private MeanVariance projectInJava(double[] w, double[] bias, double[] mean, double[] cov, int outChannels) {
        double[] m = new double[outChannels];
        double[] v = new double[outChannels];
        double[] wo = new double[d];
        for (int o = 0; o < outChannels; o++) {
            for (int t = 0; t < d; t++) {
                wo[t] = kind == Kind.DENSE ? w[t * outChannels + o] : w[o * d + t];
            }
            double mu = 0;
            double q = 0;
            for (int t = 0; t < d; t++) {
                mu += mean[t] * wo[t];
                double row = 0;
                int at = t * d;
                for (int u = 0; u < d; u++) {
                    row += cov[at + u] * wo[u];
                }
                q += wo[t] * row;
            }
            m[o] = mu + (bias == null ? 0 : bias[o]);
            v[o] = Math.max(0, q);
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
