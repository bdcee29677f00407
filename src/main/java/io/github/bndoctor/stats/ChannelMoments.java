package io.github.bndoctor.stats;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Count, mean and sum of squared deviations of each channel, accumulated with Welford's update
 * and merged with Chan et al.'s pairwise formula, so that the moments of many batches combine
 * into the moments of all their samples without loss of precision.
 *
 * <p>Instances are immutable; {@link #combine(ChannelMoments)} returns a new one. They are
 * serializable so that partial moments computed where the data lives (a Spark partition) can be
 * shipped and combined.
 *
 * <p>References: T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating Formulae and a Pairwise
 * Algorithm for Computing Sample Variances", Stanford CS tech. report STAN-CS-79-773 (1979), and
 * "Algorithms for Computing the Sample Variance: Analysis and Recommendations", The American
 * Statistician 37(3), 1983; B. P. Welford, Technometrics 4(3), 1962.
 */
public final class ChannelMoments implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long count;
    private final double[] mean;
    private final double[] m2;

    private ChannelMoments(long count, double[] mean, double[] m2) {
        this.count = count;
        this.mean = mean;
        this.m2 = m2;
    }

    /**
     * @param channels number of channels
     * @return moments of no samples
     */
    public static ChannelMoments empty(int channels) {
        if (channels <= 0) {
            throw new IllegalArgumentException("channels must be positive, got " + channels);
        }
        return new ChannelMoments(0, new double[channels], new double[channels]);
    }

    /**
     * Moments of one batch given as its per-channel mean and biased variance.
     *
     * @param mean per-channel mean
     * @param biasedVariance per-channel variance with divisor {@code count}
     * @param count samples per channel in the batch
     * @return the batch's moments
     */
    public static ChannelMoments ofBatch(double[] mean, double[] biasedVariance, long count) {
        if (mean.length != biasedVariance.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and variance must have the same, non-zero length: "
                    + mean.length + " vs " + biasedVariance.length);
        }
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive, got " + count);
        }
        double[] m2 = new double[mean.length];
        for (int c = 0; c < m2.length; c++) {
            m2[c] = biasedVariance[c] * count;
        }
        return new ChannelMoments(count, mean.clone(), m2);
    }

    /**
     * Moments of samples laid out as {@code samples[i][c]}, accumulated with Welford's update.
     *
     * @param samples one row per sample, one column per channel
     * @return their moments
     */
    public static ChannelMoments ofSamples(double[][] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        int channels = samples[0].length;
        double[] mean = new double[channels];
        double[] m2 = new double[channels];
        long n = 0;
        for (double[] row : samples) {
            if (row.length != channels) {
                throw new IllegalArgumentException("ragged samples: " + row.length + " vs " + channels);
            }
            n++;
            for (int c = 0; c < channels; c++) {
                double delta = row[c] - mean[c];
                mean[c] += delta / n;
                m2[c] += delta * (row[c] - mean[c]);
            }
        }
        return new ChannelMoments(n, mean, m2);
    }

    /**
     * Chan et al.'s pairwise combination.
     *
     * @param other moments of further samples with the same channels
     * @return moments of the union of both sample sets
     */
    public ChannelMoments combine(ChannelMoments other) {
        if (other.mean.length != mean.length) {
            throw new IllegalArgumentException("channel counts differ: " + mean.length + " vs " + other.mean.length);
        }
        if (other.count == 0) {
            return this;
        }
        if (count == 0) {
            return other;
        }
        long n = count + other.count;
        double[] mu = new double[mean.length];
        double[] s = new double[mean.length];
        for (int c = 0; c < mu.length; c++) {
            double delta = other.mean[c] - mean[c];
            mu[c] = mean[c] + delta * other.count / n;
            s[c] = m2[c] + other.m2[c] + delta * delta * ((double) count * other.count / n);
        }
        return new ChannelMoments(n, mu, s);
    }

    /** @return samples per channel */
    public long count() {
        return count;
    }

    /** @return number of channels */
    public int channels() {
        return mean.length;
    }

    /** @return per-channel mean (a copy) */
    public double[] mean() {
        return mean.clone();
    }

    /** @return per-channel sum of squared deviations from the mean, {@code M2} (a copy) */
    public double[] sumOfSquaredDeviations() {
        return m2.clone();
    }

    /** @return per-channel variance with divisor {@code count} (what BN normalises with) */
    public double[] biasedVariance() {
        requireSamples(1);
        double[] v = new double[m2.length];
        for (int c = 0; c < v.length; c++) {
            v[c] = m2[c] / count;
        }
        return v;
    }

    /** @return per-channel variance with divisor {@code count-1} (PyTorch's running update) */
    public double[] unbiasedVariance() {
        requireSamples(2);
        return BesselFactor.of(count).unbias(biasedVariance());
    }

    private void requireSamples(long n) {
        if (count < n) {
            throw new IllegalStateException("need at least " + n + " samples, have " + count);
        }
    }

    @Override
    public String toString() {
        return "ChannelMoments{count=" + count + ", mean=" + Arrays.toString(mean) + "}";
    }
}
