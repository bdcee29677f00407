package io.github.bndoctor.probe;

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
        return median(layers.stream().mapToDouble(LayerCheckpoint::predictedLag).filter(d -> !Double.isNaN(d)).toArray());
    }

    /** @return median over layers of the EMA error */
    public double medianEmaError() {
        return median(layers.stream().mapToDouble(l -> l.decomposition().emaError()).toArray());
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
