package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.Layout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

/**
 * Batches of independent Gaussian samples with a known mean and standard deviation per channel,
 * in a given layout, drawn from a seeded Java generator (independent of ND4J's random stream).
 * The per-channel mean of step {@code t} (1-based) may drift linearly: {@code mu + rate*t}.
 */
public final class GaussianBatches {
    private final Layout layout;
    private final int batch;
    private final int height;
    private final int width;
    private final double[] mu;
    private final double[] sigma;
    private final SplittableRandom random;
    private double driftRate;
    private long step;

    /**
     * @param layout layout of the arrays
     * @param batch examples per batch
     * @param height spatial height (1 for dense)
     * @param width spatial width (1 for dense)
     * @param mu per-channel mean
     * @param sigma per-channel standard deviation
     * @param seed random seed
     */
    public GaussianBatches(Layout layout, int batch, int height, int width, double[] mu, double[] sigma, long seed) {
        if (mu.length != sigma.length || mu.length == 0) {
            throw new IllegalArgumentException("mu and sigma need the same, non-zero length");
        }
        if (batch <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("batch and spatial sizes must be positive");
        }
        if (layout == Layout.DENSE && (height != 1 || width != 1)) {
            throw new IllegalArgumentException("dense batches have no spatial extent: height and width must be 1");
        }
        this.layout = layout;
        this.batch = batch;
        this.height = height;
        this.width = width;
        this.mu = mu.clone();
        this.sigma = sigma.clone();
        this.random = new SplittableRandom(seed);
    }

    /**
     * @param rate change of every channel's mean per step
     * @return this, with the drift set
     */
    public GaussianBatches withDrift(double rate) {
        this.driftRate = rate;
        return this;
    }

    /** @return the array shape of one batch */
    public long[] shape() {
        int c = mu.length;
        return switch (layout) {
            case DENSE -> new long[] {batch, c};
            case NCHW -> new long[] {batch, c, height, width};
            case NHWC -> new long[] {batch, height, width, c};
        };
    }

    /** @return the next batch of features (float) */
    public INDArray next() {
        step++;
        long[] shape = shape();
        int n = (int) (shape[0] * shape[1] * (shape.length > 2 ? shape[2] * shape[3] : 1));
        float[] data = new float[n];
        int channelAxis = layout.channelAxis();
        long inner = 1;
        for (int a = channelAxis + 1; a < shape.length; a++) {
            inner *= shape[a];
        }
        for (int i = 0; i < n; i++) {
            int c = (int) ((i / inner) % shape[channelAxis]);
            data[i] = (float) (mu[c] + driftRate * step + sigma[c] * gaussian());
        }
        return Nd4j.create(data, shape, 'c').castTo(DataType.FLOAT);
    }

    /** @return the next batch as a data set whose labels are zeros of the same shape */
    public DataSet nextDataSet() {
        INDArray f = next();
        return new DataSet(f, Nd4j.zeros(DataType.FLOAT, f.shape()));
    }

    /** @return steps drawn so far */
    public long steps() {
        return step;
    }

    private double gaussian() {
        // Box-Muller on the seeded SplittableRandom (which has no nextGaussian of its own)
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
