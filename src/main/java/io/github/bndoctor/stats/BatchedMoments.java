package io.github.bndoctor.stats;

import java.io.Serializable;

/**
 * The moments of a sequence of batches that both {@link PopulationEstimator}s need, in a form that
 * merges: the {@link ChannelMoments} of all samples pooled (count, mean, {@code M2}) and, per
 * channel, the sum of the batches' own {@code M2} (within-batch sum of squares).
 *
 * <p>Pooled variance is {@code M2 / n}; the sample-weighted mean of the biased batch variances is
 * {@code sum_b M2_b / n}. Both parts merge exactly: the pooled part by Chan et al.'s pairwise
 * formula (T. F. Chan, G. H. Golub, R. J. LeVeque, STAN-CS-79-773, 1979; The American
 * Statistician 37(3), 1983), the within-batch part by addition. So moments gathered where the data
 * lives (one accumulator per Spark partition) combine, in any order or tree shape, into what one
 * sequential pass over the same batches gives, up to double rounding.
 *
 * <p>Immutable and serializable.
 */
public final class BatchedMoments implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ChannelMoments pooled;
    private final double[] withinBatchM2;
    private final long batches;

    private BatchedMoments(ChannelMoments pooled, double[] withinBatchM2, long batches) {
        this.pooled = pooled;
        this.withinBatchM2 = withinBatchM2;
        this.batches = batches;
    }

    /**
     * @param channels number of channels
     * @return the moments of no batch
     */
    public static BatchedMoments empty(int channels) {
        return new BatchedMoments(ChannelMoments.empty(channels), new double[channels], 0);
    }

    /**
     * @param batch the moments of one more batch, same channels
     * @return the moments of the batches so far and this one
     */
    public BatchedMoments add(ChannelMoments batch) {
        double[] w = withinBatchM2.clone();
        double[] m2 = batch.sumOfSquaredDeviations();
        if (m2.length != w.length) {
            throw new IllegalArgumentException("channel counts differ: " + w.length + " vs " + m2.length);
        }
        for (int c = 0; c < w.length; c++) {
            w[c] += m2[c];
        }
        return new BatchedMoments(pooled.combine(batch), w, batches + 1);
    }

    /**
     * @param other the moments of other batches, same channels
     * @return the moments of both sets of batches
     */
    public BatchedMoments combine(BatchedMoments other) {
        if (other.withinBatchM2.length != withinBatchM2.length) {
            throw new IllegalArgumentException("channel counts differ: " + withinBatchM2.length + " vs "
                    + other.withinBatchM2.length);
        }
        double[] w = withinBatchM2.clone();
        for (int c = 0; c < w.length; c++) {
            w[c] += other.withinBatchM2[c];
        }
        return new BatchedMoments(pooled.combine(other.pooled), w, batches + other.batches);
    }

    /** @return the moments of all samples pooled */
    public ChannelMoments pooled() {
        return pooled;
    }

    /** @return number of batches */
    public long batches() {
        return batches;
    }

    /** @return samples per channel over all batches */
    public long count() {
        return pooled.count();
    }

    /** @return per-channel sample-weighted mean of the biased batch variances */
    public double[] meanOfBatchVariances() {
        if (pooled.count() == 0) {
            throw new IllegalStateException("no batches");
        }
        double[] v = new double[withinBatchM2.length];
        for (int c = 0; c < v.length; c++) {
            v[c] = withinBatchM2[c] / pooled.count();
        }
        return v;
    }
}
