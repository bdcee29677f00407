package io.github.bndoctor.stats;

/**
 * The moments of the last {@code capacity} batches of one BN layer's input, pooled into a
 * population estimate: a running "precise" estimate that trails the current weights by about
 * {@code capacity/2} iterations instead of the EMA's {@code d/(1-d)}.
 *
 * <p>The pooled estimate is {@link PopulationEstimator#POOLED}'s, the moments of all samples
 * together, computed in two passes over the held batches without allocation per batch: mean
 * {@code mu = sum n_b mu_b / N}, variance {@code sum n_b (v_b + (mu_b - mu)^2) / N} (law of total
 * variance, with {@code v_b} the biased batch variances).
 */
public final class MomentWindow {
    private final int capacity;
    private final int channels;
    private final long[] counts;
    private final double[][] means;
    private final double[][] variances;
    private int size;
    private int next;

    /**
     * @param capacity batches kept, at least 1
     * @param channels channels per batch, at least 1
     */
    public MomentWindow(int capacity, int channels) {
        if (capacity < 1) {
            throw new IllegalArgumentException("window capacity must be >= 1, got " + capacity);
        }
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, got " + channels);
        }
        this.capacity = capacity;
        this.channels = channels;
        this.counts = new long[capacity];
        this.means = new double[capacity][channels];
        this.variances = new double[capacity][channels];
    }

    /**
     * Adds one batch, dropping the oldest when full. The arrays are copied.
     *
     * @param count samples per channel in the batch, positive
     * @param mean per-channel batch mean
     * @param biasedVariance per-channel batch variance with divisor {@code count}
     */
    public void add(long count, double[] mean, double[] biasedVariance) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive, got " + count);
        }
        if (mean.length != channels || biasedVariance.length != channels) {
            throw new IllegalArgumentException("expected " + channels + " channels, got " + mean.length + " and "
                    + biasedVariance.length);
        }
        counts[next] = count;
        System.arraycopy(mean, 0, means[next], 0, channels);
        System.arraycopy(biasedVariance, 0, variances[next], 0, channels);
        next = (next + 1) % capacity;
        size = Math.min(size + 1, capacity);
    }

    /** @return batches held */
    public int size() {
        return size;
    }

    /** @return whether {@code capacity} batches are held */
    public boolean isFull() {
        return size == capacity;
    }

    /** @return the capacity */
    public int capacity() {
        return capacity;
    }

    /**
     * @return the moments of all held samples together (mean, biased variance)
     * @throws IllegalStateException if the window is empty
     */
    public MeanVariance pooled() {
        if (size == 0) {
            throw new IllegalStateException("no batches in the window");
        }
        double total = 0;
        double[] mu = new double[channels];
        for (int b = 0; b < size; b++) {
            total += counts[b];
            for (int c = 0; c < channels; c++) {
                mu[c] += counts[b] * means[b][c];
            }
        }
        double[] var = new double[channels];
        for (int c = 0; c < channels; c++) {
            mu[c] /= total;
        }
        for (int b = 0; b < size; b++) {
            for (int c = 0; c < channels; c++) {
                double d = means[b][c] - mu[c];
                var[c] += counts[b] * (variances[b][c] + d * d);
            }
        }
        for (int c = 0; c < channels; c++) {
            var[c] /= total;
        }
        return new MeanVariance(mu, var);
    }
}
