package io.github.bndoctor.stats;

import java.util.Arrays;

/**
 * A per-channel (mean, variance) pair: a BN layer's moving statistics, a batch's statistics or
 * a population estimate.
 *
 * @param mean per-channel mean
 * @param variance per-channel variance
 */
public record MeanVariance(double[] mean, double[] variance) {
    /**
     * @param mean per-channel mean
     * @param variance per-channel variance, same length
     */
    public MeanVariance {
        if (mean.length != variance.length) {
            throw new IllegalArgumentException("mean has " + mean.length + " channels, variance " + variance.length);
        }
        mean = mean.clone();
        variance = variance.clone();
    }

    /** @return number of channels */
    public int channels() {
        return mean.length;
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] variance() {
        return variance.clone();
    }

    /** @return whether every mean and variance is finite and every variance is non-negative */
    public boolean isValid() {
        for (int c = 0; c < mean.length; c++) {
            if (!Double.isFinite(mean[c]) || !Double.isFinite(variance[c]) || variance[c] < 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MeanVariance other && Arrays.equals(mean, other.mean) && Arrays.equals(variance, other.variance);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(variance);
    }

    @Override
    public String toString() {
        return "MeanVariance{mean=" + Arrays.toString(mean) + ", variance=" + Arrays.toString(variance) + "}";
    }
}
