package io.github.bndoctor.stats;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;

/**
 * The moments of the last {@code capacity} batches of one BN layer's input, pooled into a
 * population estimate: a running "precise" estimate that trails the current weights by about
 * {@code capacity/2} iterations instead of the EMA's {@code d/(1-d)}.
 */
public final class MomentWindow {
    private final int capacity;
    private final Deque<ChannelMoments> batches = new ArrayDeque<>();

    /**
     * @param capacity batches kept, at least 1
     */
    public MomentWindow(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("window capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Adds one batch, dropping the oldest when full.
     *
     * @param batch its moments
     */
    public void add(ChannelMoments batch) {
        if (!batches.isEmpty() && batches.peekLast().channels() != batch.channels()) {
            throw new IllegalArgumentException("channel counts differ: " + batches.peekLast().channels() + " vs "
                    + batch.channels());
        }
        if (batches.size() == capacity) {
            batches.removeFirst();
        }
        batches.addLast(batch);
    }

    /** @return batches held */
    public int size() {
        return batches.size();
    }

    /** @return whether {@code capacity} batches are held */
    public boolean isFull() {
        return batches.size() == capacity;
    }

    /** @return the capacity */
    public int capacity() {
        return capacity;
    }

    /**
     * @param estimator how to pool the batch variances
     * @return the pooled population estimate
     * @throws IllegalArgumentException if the window is empty
     */
    public MeanVariance pooled(PopulationEstimator estimator) {
        return estimator.estimate(new ArrayList<>(batches));
    }
}
