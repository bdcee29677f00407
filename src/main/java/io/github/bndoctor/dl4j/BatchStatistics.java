package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.ChannelMoments;
import io.github.bndoctor.stats.MeanVariance;

/**
 * Per-channel statistics of the input one BN layer received for one batch.
 *
 * @param layer the BN layer
 * @param layout the input's layout
 * @param moments count, mean and (biased) variance per channel
 */
public record BatchStatistics(BnLayerRef layer, Layout layout, ChannelMoments moments) {
    /** @return (mean, biased variance): what the layer normalises with in training mode */
    public MeanVariance meanVariance() {
        return new MeanVariance(moments.mean(), moments.biasedVariance());
    }

    /** @return samples per channel, {@code m} */
    public long samplesPerChannel() {
        return moments.count();
    }
}
