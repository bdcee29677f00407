package io.github.bndoctor.spark;

/**
 * How far one BN layer's averaged moving statistics are from the population statistics of the
 * workers' data together, and where the variance deficit comes from.
 *
 * <p>Per channel, with worker weights {@code w_k} (shares of the data), worker statistics
 * {@code (mu_k, var_k)} and averaged statistics {@code (mu_avg, var_avg)}: the population mean is
 * {@code mu = sum w_k mu_k} and the population variance, by the law of total variance,
 * {@code var = W + B} with {@code W = sum w_k var_k} and the between-worker spread
 * {@code B = sum w_k (mu_k - mu)^2}. The deficit {@code var - var_avg} splits into {@code B}, which
 * averaging drops altogether, and {@code W - var_avg}, which for averaged {@code log10stdev} is the
 * gap between the arithmetic and the geometric mean of the workers' variances (Jensen).
 *
 * @param layer the BN layer's name
 * @param varianceRatio geometric mean over channels of {@code (var_avg + eps) / (var + eps)}; below
 *     1 the inference statistics are too narrow
 * @param maxMeanShift largest {@code |mu_avg - mu| / sqrt(var + eps)} over channels
 * @param spreadShareOfPopulation {@code sum_c B / sum_c var}: the share of the population variance
 *     that lies between the workers
 * @param spreadShareOfDeficit {@code sum_c B / sum_c (var - var_avg)}: the share of the variance
 *     deficit that is the dropped between-worker spread; the rest is the Jensen gap (NaN when there
 *     is no deficit)
 */
public record LayerAveragingBias(String layer, double varianceRatio, double maxMeanShift,
                                 double spreadShareOfPopulation, double spreadShareOfDeficit) {
}
