package io.github.bndoctor.stats;

/**
 * Distances between a (mean, variance) pair under test, typically a BN layer's moving
 * statistics, and a reference pair, typically batch or precise population statistics.
 *
 * <ul>
 *   <li>{@link #standardizedMeanShift}: {@code |mu1 - mu2| / sqrt(var2)}, the shift of the mean
 *       in units of the reference standard deviation: what the normalised activations are offset
 *       by in inference mode;</li>
 *   <li>{@link #logVarianceRatio}: {@code ln(var1/var2)}; the normalised activations are scaled by
 *       {@code exp(-ratio/2)};</li>
 *   <li>{@link #relativeError}: {@code |a - b| / |b|}.</li>
 * </ul>
 * Reductions over channels ({@link #maxStandardizedMeanShift}, {@link #maxAbsLogVarianceRatio})
 * give one number per layer. Variances are floored at {@code eps} (the layer's epsilon, as BN
 * itself adds it) so that dead channels do not produce infinities.
 */
public final class MomentDistance {
    private MomentDistance() {
    }

    /**
     * @param actual value under test
     * @param reference reference value
     * @return {@code |actual - reference| / |reference|} ({@code 0} when both are 0, infinite when
     *     only the reference is)
     */
    public static double relativeError(double actual, double reference) {
        double diff = Math.abs(actual - reference);
        return diff == 0 ? 0 : diff / Math.abs(reference);
    }

    /**
     * @param mean1 mean under test
     * @param mean2 reference mean
     * @param variance2 reference variance
     * @param eps floor added to the variance (BN's epsilon)
     * @return {@code |mean1 - mean2| / sqrt(variance2 + eps)}
     */
    public static double standardizedMeanShift(double mean1, double mean2, double variance2, double eps) {
        return Math.abs(mean1 - mean2) / Math.sqrt(variance2 + eps);
    }

    /**
     * @param variance1 variance under test
     * @param variance2 reference variance
     * @param eps floor added to both (BN's epsilon)
     * @return {@code ln((variance1 + eps) / (variance2 + eps))}
     */
    public static double logVarianceRatio(double variance1, double variance2, double eps) {
        return Math.log((variance1 + eps) / (variance2 + eps));
    }

    /**
     * @param actual statistics under test
     * @param reference reference statistics
     * @param eps BN's epsilon
     * @return the largest standardized mean shift over channels
     */
    public static double maxStandardizedMeanShift(MeanVariance actual, MeanVariance reference, double eps) {
        checkChannels(actual, reference);
        double[] m1 = actual.mean();
        double[] m2 = reference.mean();
        double[] v2 = reference.variance();
        double max = 0;
        for (int c = 0; c < m1.length; c++) {
            max = Math.max(max, standardizedMeanShift(m1[c], m2[c], v2[c], eps));
        }
        return max;
    }

    /**
     * @param actual statistics under test
     * @param reference reference statistics
     * @param eps BN's epsilon
     * @return the largest {@code |ln(var1/var2)|} over channels
     */
    public static double maxAbsLogVarianceRatio(MeanVariance actual, MeanVariance reference, double eps) {
        checkChannels(actual, reference);
        double[] v1 = actual.variance();
        double[] v2 = reference.variance();
        double max = 0;
        for (int c = 0; c < v1.length; c++) {
            max = Math.max(max, Math.abs(logVarianceRatio(v1[c], v2[c], eps)));
        }
        return max;
    }

    /**
     * @param actual statistics under test
     * @param reference reference statistics
     * @param eps BN's epsilon
     * @return the median over channels of {@code |ln(var1/var2)|}
     */
    public static double medianAbsLogVarianceRatio(MeanVariance actual, MeanVariance reference, double eps) {
        checkChannels(actual, reference);
        double[] v1 = actual.variance();
        double[] v2 = reference.variance();
        double[] r = new double[v1.length];
        for (int c = 0; c < r.length; c++) {
            r[c] = Math.abs(logVarianceRatio(v1[c], v2[c], eps));
        }
        java.util.Arrays.sort(r);
        int n = r.length;
        return n % 2 == 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
    }

    private static void checkChannels(MeanVariance a, MeanVariance b) {
        if (a.channels() != b.channels()) {
            throw new IllegalArgumentException("channel counts differ: " + a.channels() + " vs " + b.channels());
        }
    }
}
