package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.stats.Median;

import java.util.List;

/**
 * The EMA error of every BN layer at one training iteration, measured without a probe: the
 * reference is the window of recent batch statistics recovered from the moving-statistics updates
 * ({@link BatchStatisticsFromUpdates}), so {@link LayerDecomposition#batchNoise()} is this
 * iteration's batch against the window.
 *
 * @param iteration iterations done
 * @param layers per-layer decomposition (moving vs window), in forward order
 */
public record LagReading(long iteration, List<LayerDecomposition> layers) {
    /**
     * @param iteration iterations done
     * @param layers per-layer decomposition
     */
    public LagReading {
        layers = List.copyOf(layers);
    }

    /** @return median over layers of the EMA error (moving vs window) */
    public double medianEmaError() {
        return Median.of(layers.stream().mapToDouble(LayerDecomposition::emaError).toArray());
    }

    /** @return median over layers of the lag part of the EMA error */
    public double medianLagError() {
        return Median.of(layers.stream().mapToDouble(LayerDecomposition::lagError).toArray());
    }
}
