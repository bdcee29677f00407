package io.github.bndoctor.probe;

import io.github.bndoctor.stats.Median;

import java.util.List;

/**
 * Everything a probe measured at one iteration.
 *
 * @param iteration the network's iteration count
 * @param gap train-mode, eval-mode and precise losses on the probe batch
 * @param layers per-BN-layer state, in forward order
 * @param verdict what drives the gap
 */
public record Checkpoint(long iteration, OutputGap gap, List<LayerCheckpoint> layers, Verdict verdict) {
    /**
     * @param iteration the network's iteration count
     * @param gap losses
     * @param layers per-layer state
     * @param verdict verdict
     */
    public Checkpoint {
        layers = List.copyOf(layers);
    }

    /**
     * The prior weight that ends the warm-up excuse: {@code e^-1}. At a fixed decay {@code d} the
     * prior keeps {@code d^n}, and {@code d^(1/(1-d)) <= e^-1} (from {@code ln d <= -(1-d)}), so the
     * excuse ends once the EMA window {@code 1/(1-d)} has passed; warm-started statistics (prior
     * weight 0) never have it.
     */
    public static final double WARMUP_PRIOR_WEIGHT = Math.exp(-1);

    /** @return the largest weight the moving statistics' prior still holds over the layers (0 without layers) */
    public double largestPriorWeight() {
        return layers.stream().mapToDouble(l -> l.decomposition().priorWeight()).max().orElse(0);
    }

    /**
     * @return whether the warm-up excuse holds: some layer's prior still holds more than
     *     {@link #WARMUP_PRIOR_WEIGHT} of its weight (the first {@code 1/(1-d)} iterations of a
     *     layer that was not warm-started)
     */
    public boolean withinWarmupWindow() {
        return largestPriorWeight() > WARMUP_PRIOR_WEIGHT;
    }

    /** @return median over layers of the predicted lag (NaN-free layers only; NaN if none) */
    public double medianPredictedLag() {
        return Median.of(layers.stream().mapToDouble(LayerCheckpoint::predictedLag).filter(d -> !Double.isNaN(d)).toArray());
    }

    /** @return median over layers of the measured lag angle (NaN-free layers only; NaN if none) */
    public double medianMeasuredLag() {
        return Median.of(layers.stream().mapToDouble(LayerCheckpoint::measuredLag).filter(d -> !Double.isNaN(d)).toArray());
    }

    /** @return median over layers of the lag part of the EMA error */
    public double medianLagError() {
        return Median.of(layers.stream().mapToDouble(l -> l.decomposition().lagError()).toArray());
    }
}
