package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.Map;

/**
 * Warm start: before training, set the moving statistics to the precise statistics of the
 * initial weights. DL4J starts them at mean 0 and variance 1; with small initial weights a
 * layer's true variance can be ~0.004 (log ratio 5.6), and at decay 0.997 the prior's weight
 * {@code d^n} needs ~2,500 iterations to wear off: a warm-up that looks exactly like the
 * divergence. A warm-started EMA carries no such prior.
 */
public final class WarmStart {
    private WarmStart() {
    }

    /**
     * @param net an untrained (or any) network
     * @param data training data
     * @param samples examples to use
     * @return the statistics written
     */
    public static Map<String, MeanVariance> apply(BnNetwork net, DataSetIterator data, int samples) {
        return PreciseBn.recalibrate(net, data, samples, PopulationEstimator.POOLED);
    }
}
