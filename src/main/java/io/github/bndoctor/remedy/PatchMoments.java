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
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

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
 * Sums are kept in double precision; the patch matrix of each batch is formed with
 * {@link Convolution#im2col} after explicit padding (DL4J's "same" mode pads
 * {@code floor(total/2)} before and the rest after) and multiplied with one GEMM.
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
    /** sum of weighted patches: [D] (dense, conv) or [C, kk] (depthwise) */
    private INDArray sum;
    /** sum of weighted outer products: [D, D] or [C, kk, kk] */
    private INDArray outer;
    private double weight;
    private long batches;

    private PatchMoments(Kind kind, double decay, int[] kernel, int[] stride, int[] padding, ConvolutionMode mode,
                         boolean nhwc, int inChannels, int depthMultiplier) {
        this.kind = kind;
        this.decay = decay;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.mode = mode;
        this.nhwc = nhwc;
        this.inChannels = inChannels;
        this.depthMultiplier = depthMultiplier;
    }

    /**
     * @param conf a dense, convolution or depthwise convolution layer's configuration (exact classes)
     * @param decay weight of the old moments per accumulated batch, in (0, 1]
     * @return the accumulator
     */
    static PatchMoments of(org.deeplearning4j.nn.conf.layers.Layer conf, double decay) {
        if (conf.getClass() == DenseLayer.class) {
            return new PatchMoments(Kind.DENSE, decay, null, null, null, null, false,
                    (int) ((DenseLayer) conf).getNIn(), 1);
        }
        ConvolutionLayer c = (ConvolutionLayer) conf;
        boolean depthwise = conf.getClass() == DepthwiseConvolution2D.class;
        return new PatchMoments(depthwise ? Kind.DEPTHWISE : Kind.CONVOLUTION, decay, c.getKernelSize().clone(),
                c.getStride().clone(), c.getPadding().clone(), c.getConvolutionMode(),
                c.getCnn2dDataFormat() == CNN2DFormat.NHWC, (int) c.getNIn(),
                depthwise ? ((DepthwiseConvolution2D) conf).getDepthMultiplier() : 1);
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
     * Adds one batch of the map's input.
     *
     * @param input the map's input as the layer receives it (after any preprocessor): {@code [mb, n_in]} or
     *     rank 4 in the layer's data format
     */
    void add(INDArray input) {
        INDArray p = patches(input);
        if (kind == Kind.DEPTHWISE) {
            INDArray s = p.sum(1); // [C, kk]
            INDArray o = Nd4j.matmul(p, p, true, false, false); // [C, kk, kk]
            if (outer == null) {
                sum = s;
                outer = o;
            } else {
                sum.muli(decay).addi(s);
                outer.muli(decay).addi(o);
            }
            weight = decay * weight + p.size(1);
        } else {
            INDArray s = p.sum(0);
            if (outer == null) {
                sum = s;
                outer = Nd4j.gemm(p, p, true, false);
            } else {
                sum.muli(decay).addi(s);
                Nd4j.gemm(p, p, outer, true, false, 1.0, decay);
            }
            weight = decay * weight + p.size(0);
        }
        batches++;
    }

    /**
     * The patch matrix in double: {@code [N, D]}, or {@code [C, N, k_h k_w]} for a depthwise
     * convolution, with patch entries ordered (input channel, kernel row, kernel column) as DL4J's
     * convolution weights {@code [n_out, n_in, k_h, k_w]}.
     */
    private INDArray patches(INDArray input) {
        if (kind == Kind.DENSE) {
            if (input.rank() != 2) {
                throw new IllegalStateException("a dense layer's input of rank " + input.rank());
            }
            return input.castTo(DataType.DOUBLE);
        }
        if (input.rank() != 4) {
            throw new IllegalStateException("a convolution's input of rank " + input.rank());
        }
        INDArray x = nhwc ? input.permute(0, 3, 1, 2) : input;
        long h = x.size(2);
        long w = x.size(3);
        int[] pad = new int[4]; // top, bottom, left, right
        if (mode == ConvolutionMode.Same) {
            long[] in = {h, w};
            for (int a = 0; a < 2; a++) {
                long out = (in[a] + stride[a] - 1) / stride[a];
                long total = Math.max(0, (out - 1) * stride[a] + kernel[a] - in[a]);
                pad[2 * a] = (int) (total / 2);
                pad[2 * a + 1] = (int) (total - total / 2);
            }
        } else {
            pad[0] = padding[0];
            pad[1] = padding[0];
            pad[2] = padding[1];
            pad[3] = padding[1];
        }
        INDArray xd = x.dup('c'); // im2col copies values, so it runs in the input's type; cast after
        if (pad[0] + pad[1] + pad[2] + pad[3] > 0) {
            xd = Nd4j.pad(xd, new int[][] {{0, 0}, {0, 0}, {pad[0], pad[1]}, {pad[2], pad[3]}});
        }
        INDArray cols;
        if (kernel[0] == 1 && kernel[1] == 1) {
            INDArray strided = stride[0] == 1 && stride[1] == 1 ? xd
                    : xd.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, stride[0], xd.size(2)),
                    NDArrayIndex.interval(0, stride[1], xd.size(3)));
            // [mb, C, oH, oW] -> [mb, C, 1, 1, oH, oW]
            cols = strided.reshape(strided.size(0), strided.size(1), 1, 1, strided.size(2), strided.size(3));
        } else {
            cols = Convolution.im2col(xd, kernel[0], kernel[1], stride[0], stride[1], 0, 0, 1, 1, false);
        }
        long mb = cols.size(0);
        long c = cols.size(1);
        long kk = (long) kernel[0] * kernel[1];
        long n = mb * cols.size(4) * cols.size(5);
        if (kind == Kind.DEPTHWISE) {
            return cols.permute(1, 0, 4, 5, 2, 3).castTo(DataType.DOUBLE).dup('c').reshape(c, n, kk);
        }
        return cols.permute(0, 4, 5, 1, 2, 3).castTo(DataType.DOUBLE).dup('c').reshape(n, c * kk);
    }

    /**
     * The output statistics for the map's current weights.
     *
     * @param map the runtime layer (its {@code W} and, if it has one, {@code b})
     * @return per output channel the mean and the biased variance, or {@code null} before the first batch
     */
    MeanVariance project(Layer map) {
        if (outer == null) {
            return null;
        }
        INDArray w = map.getParam("W").castTo(DataType.DOUBLE);
        INDArray b = map.paramTable().containsKey("b") ? map.getParam("b").castTo(DataType.DOUBLE) : null;
        INDArray mean = sum.div(weight);
        if (kind == Kind.DEPTHWISE) {
            return projectDepthwise(w, b, mean);
        }
        INDArray cov = outer.div(weight).subi(mean.reshape(-1, 1).mmul(mean.reshape(1, -1)));
        // dense W is [n_in, n_out]; convolution W is [n_out, C, kh, kw]
        INDArray wd = kind == Kind.DENSE ? w : w.reshape('c', w.size(0), -1).transpose();
        INDArray mu = mean.reshape(1, -1).mmul(wd); // [1, n_out]
        INDArray var = cov.mmul(wd).muli(wd).sum(0); // [n_out]
        double[] m = mu.reshape(-1).toDoubleVector();
        double[] v = var.toDoubleVector();
        double[] bias = b == null ? null : b.reshape(-1).toDoubleVector();
        for (int o = 0; o < m.length; o++) {
            m[o] += bias == null ? 0 : bias[o];
            v[o] = Math.max(0, v[o]);
        }
        return new MeanVariance(m, v);
    }

    private MeanVariance projectDepthwise(INDArray w, INDArray b, INDArray meanArr) {
        // W [kh, kw, C, dm]; output channel c * dm + j
        int kk = kernel[0] * kernel[1];
        double[] wv = w.dup('c').reshape(-1).toDoubleVector();
        double[] mean = meanArr.dup('c').reshape(-1).toDoubleVector(); // [C * kk]
        double[] second = outer.dup('c').reshape(-1).toDoubleVector(); // [C * kk * kk]
        double[] bias = b == null ? null : b.reshape(-1).toDoubleVector();
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
                        double cov = second[(c * kk + s) * kk + t] / weight - mean[c * kk + s] * mean[c * kk + t];
                        row += cov * wo[t];
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
