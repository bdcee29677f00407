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
