package io.github.bndoctor.stats;

/**
 * Half-widths of intervals that contain a BN moving statistic with a chosen probability, when
 * the layer's input is Gaussian, independent across samples and steps, with per-channel mean
 * {@code mu} and variance {@code sigma2}, and {@code m} samples per channel in each batch.
 *
 * <p><b>Moving mean.</b> Each batch mean is {@code N(mu, sigma2/m)}, so the EMA is exactly
 * Gaussian with mean {@link Ema#expectedValue} and variance {@link Ema#variance} of
 * {@code sigma2/m}; the half-width is {@code z} standard deviations.
 *
 * <p><b>Moving variance.</b> Each biased batch variance is {@code sigma2/m} times a chi-square
 * with {@code m-1} degrees of freedom, so the EMA minus its expectation is
 * {@code sum_i a_i (X_i - 1)} over unit chi-squares with {@code a = (1-d) d^k sigma2/m}
 * ({@code m-1} times for each step {@code k}). Laurent and Massart (2000, Lemma 1) bound its
 * upper tail by {@code 2|a|_2 sqrt(x) + 2|a|_inf x} and its lower tail by {@code 2|a|_2 sqrt(x)},
 * each with probability {@code e^-x}; unlike a Gaussian z-score this stays valid for short
 * windows and small batches, where the chi-square is skewed.
 *
 * <p>Float arithmetic adds a deterministic slack: DL4J computes in float32, each step rounds the
 * stored value by about one ulp, and the EMA forgets old rounding errors at rate {@code d}, so
 * accumulated rounding is bounded by {@code min(n, 1/(1-d))} ulps of the value's scale.
 */
public final class EmaBounds {
    /** float32 unit roundoff, 2^-24. */
    public static final double FLOAT_UNIT_ROUNDOFF = Math.ulp(1.0f) / 2;

    private EmaBounds() {
    }

    /**
     * @param sigma2 population variance of the channel
     * @param m samples per channel in a batch
     * @param decay {@code d}
     * @param n steps taken
     * @param budget the family-wise budget the comparison belongs to
     * @return half-width of the interval around {@link Ema#expectedValue} for the moving mean
     */
    public static double meanHalfWidth(double sigma2, long m, double decay, long n, FalseFailureBudget budget) {
        return budget.gaussianZ() * Math.sqrt(Ema.variance(sigma2 / m, decay, n));
    }

    /**
     * @param sigma2 population variance of the channel
     * @param m samples per channel in a batch, at least 2
     * @param decay {@code d}
     * @param n steps taken
     * @param budget the family-wise budget the comparison belongs to
     * @return half-width of the (upper, wider) side of the interval around the expected moving
     *     variance {@code d^n v0 + (1-d^n) (m-1)/m sigma2}
     */
    public static double varianceHalfWidth(double sigma2, long m, double decay, long n, FalseFailureBudget budget) {
        InvalidDecayException.check(decay);
        if (m < 2) {
            throw new IllegalArgumentException("need at least 2 samples per channel, got " + m);
        }
        double x = budget.exponent();
        double scale = (1 - decay) * sigma2 / m;
        double sumD2k = decay == 1 ? 0 : (1 - Math.pow(decay, 2 * (double) n)) / (1 - decay * decay);
        double norm2 = scale * Math.sqrt((m - 1) * sumD2k);
        double normInf = n == 0 ? 0 : scale;
        return 2 * norm2 * Math.sqrt(x) + 2 * normInf * x;
    }

    /**
     * @param initialVariance the moving variance before the first step (1 in DL4J)
     * @param sigma2 population variance of the channel
     * @param m samples per channel in a batch, at least 2
     * @param decay {@code d}
     * @param n steps taken
     * @return {@code E[v_n] = d^n v0 + (1-d^n) (m-1)/m sigma2}
     */
    public static double expectedMovingVariance(double initialVariance, double sigma2, long m, double decay, long n) {
        return Ema.expectedValue(initialVariance, BesselFactor.of(m).biasRatio() * sigma2, decay, n);
    }

    /**
     * @param scale magnitude of the quantity (e.g. {@code |mu| + sigma} for a mean)
     * @param decay {@code d}
     * @param n steps taken
     * @param ulps rounding errors per step, in units of float32 roundoff
     * @return {@code ulps * 2^-24 * scale * min(n, 1/(1-d))}
     */
    public static double floatSlack(double scale, double decay, long n, double ulps) {
        double steps = decay == 1 ? n : Math.min(n, Ema.window(decay));
        return ulps * FLOAT_UNIT_ROUNDOFF * scale * Math.max(1, steps);
    }
}
