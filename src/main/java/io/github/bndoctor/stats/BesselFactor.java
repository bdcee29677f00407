package io.github.bndoctor.stats;

/**
 * Bessel's correction {@code m/(m-1)} for {@code m} samples per channel, made explicit.
 *
 * <p>BN normalises with, and DL4J averages, the biased batch variance (divisor {@code m}), whose
 * expectation is {@code (m-1)/m} times the population variance; PyTorch's {@code running_var}
 * averages the unbiased one. For a convolutional BN, {@code m} is batch x height x width.
 */
public final class BesselFactor {
    private final long m;

    private BesselFactor(long m) {
        this.m = m;
    }

    /**
     * @param samplesPerChannel {@code m}, at least 2
     * @return the factor for {@code m} samples
     */
    public static BesselFactor of(long samplesPerChannel) {
        if (samplesPerChannel < 2) {
            throw new IllegalArgumentException("Bessel factor needs at least 2 samples per channel, got "
                    + samplesPerChannel);
        }
        return new BesselFactor(samplesPerChannel);
    }

    /** @return {@code m/(m-1)} */
    public double value() {
        return (double) m / (m - 1);
    }

    /** @return {@code (m-1)/m}, the expected ratio of biased batch variance to population variance */
    public double biasRatio() {
        return (double) (m - 1) / m;
    }

    /**
     * @param biased variances with divisor {@code m}
     * @return the same variances with divisor {@code m-1}
     */
    public double[] unbias(double[] biased) {
        double[] out = biased.clone();
        double f = value();
        for (int i = 0; i < out.length; i++) {
            out[i] *= f;
        }
        return out;
    }

    /**
     * @param unbiased variances with divisor {@code m-1}
     * @return the same variances with divisor {@code m}
     */
    public double[] bias(double[] unbiased) {
        double[] out = unbiased.clone();
        double f = biasRatio();
        for (int i = 0; i < out.length; i++) {
            out[i] *= f;
        }
        return out;
    }

    /** @return samples per channel */
    public long samplesPerChannel() {
        return m;
    }
}
