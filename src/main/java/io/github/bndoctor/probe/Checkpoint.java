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
 * @param jointNoiseCost expected eval/precise from the sampling noise of every moving layer's EMA
 *     at its decay in force, all drawn at once ({@link NoiseCost#together}; {@code NaN} where not
 *     measured: no layer's decay at most {@link NoiseCost#NEAR_FLOOR_DECAY}, or no training batch
 *     size known)
 */
public record Checkpoint(long iteration, OutputGap gap, List<LayerCheckpoint> layers, Verdict verdict,
                         double jointNoiseCost) {
    /**
     * @param iteration the network's iteration count
     * @param gap losses
     * @param layers per-layer state
     * @param verdict verdict
     * @param jointNoiseCost joint noise cost, {@code NaN} if not measured
     */
    public Checkpoint {
        layers = List.copyOf(layers);
    }

    /**
     * A checkpoint without the joint noise cost.
     *
     * @param iteration the network's iteration count
     * @param gap losses
     * @param layers per-layer state
     * @param verdict verdict
     */
    public Checkpoint(long iteration, OutputGap gap, List<LayerCheckpoint> layers, Verdict verdict) {
        this(iteration, gap, layers, verdict, Double.NaN);
    }

    /**
     * The weight of the initial state that ends the warm-up excuse: {@code e^-1}. At a fixed decay
     * {@code d} the moving statistics' initial state (DL4J's prior, or warm-started statistics of the
     * initial weights) keeps {@code d^n} after {@code n} iterations, and {@code d^(1/(1-d)) <= e^-1}
     * (from {@code ln d <= -(1-d)}), so the excuse ends once the EMA window {@code 1/(1-d)} has passed.
     */
    public static final double WARMUP_PRIOR_WEIGHT = Math.exp(-1);

    /** @return the largest weight the moving statistics' prior still holds over the layers (0 without layers) */
    public double largestPriorWeight() {
        return layers.stream().mapToDouble(l -> l.decomposition().priorWeight()).max().orElse(0);
    }

    /**
     * @return whether the warm-up window has not passed: some layer whose moving statistics move
     *     (decay below 1, or unknown) has a prior weight above {@link #WARMUP_PRIOR_WEIGHT}, or a
     *     decay {@code d} in force with {@code d^n} above it at this iteration {@code n} (the same
     *     window for warm-started statistics, whose prior weight is 0 but whose initial state wears
     *     off alike)
     */
    public boolean withinWarmupWindow() {
        for (LayerCheckpoint l : layers) {
            double d = l.decay();
            if (d >= 1) {
                continue; // frozen statistics: no window to wait for
            }
            if (l.decomposition().priorWeight() > WARMUP_PRIOR_WEIGHT
                    || d > 0 && Math.pow(d, iteration) > WARMUP_PRIOR_WEIGHT) {
                return true;
            }
        }
        return false;
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
