package io.github.bndoctor.stats;

import java.util.List;

/**
 * Estimators of the population variance that BN's inference mode should use, from the moments of
 * several batches.
 *
 * <ul>
 *   <li>{@link #POOLED}: the variance of all samples together, {@code E[x^2] - E[x]^2} over every
 *       batch. By the law of total variance it equals the mean of the batch variances plus the
 *       variance of the batch means; it estimates the true population variance (biased only by
 *       {@code (N-1)/N} for {@code N} samples in all).</li>
 *   <li>{@link #MEAN_OF_BATCH_VARIANCES}: the mean of the biased per-batch variances, which is
 *       what an EMA of batch statistics converges to. Its expectation is {@code (m-1)/m} times the
 *       population variance for {@code m} samples per channel in a batch: it matches what the
 *       layer saw in training mode rather than the population.</li>
 * </ul>
 * The mean is the same for both: the sample-weighted mean of batch means.
 */
public enum PopulationEstimator {
    /** Variance of all samples pooled together. */
    POOLED,
    /** Mean of the biased per-batch variances (what an EMA converges to). */
    MEAN_OF_BATCH_VARIANCES;

    /**
     * @param batches moments of each batch, all with the same channels
     * @return estimated population (mean, variance) per channel
     */
    public MeanVariance estimate(List<ChannelMoments> batches) {
        if (batches.isEmpty()) {
            throw new IllegalArgumentException("no batches to estimate population statistics from");
        }
        BatchedMoments all = BatchedMoments.empty(batches.get(0).channels());
        for (ChannelMoments b : batches) {
            all = all.add(b);
        }
        return estimate(all);
    }

    /**
     * @param batches the merged moments of one or more batches
     * @return estimated population (mean, variance) per channel
     */
    public MeanVariance estimate(BatchedMoments batches) {
        if (batches.count() == 0) {
            throw new IllegalArgumentException("no batches to estimate population statistics from");
        }
        ChannelMoments all = batches.pooled();
        return new MeanVariance(all.mean(), this == POOLED ? all.biasedVariance() : batches.meanOfBatchVariances());
    }
}
