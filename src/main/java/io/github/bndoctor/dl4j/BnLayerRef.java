package io.github.bndoctor.dl4j;

import org.deeplearning4j.nn.conf.CNN2DFormat;

/**
 * One BN layer of a network, as found by {@link BnNetwork#bnLayers()}.
 *
 * @param name the layer's name (for a {@code MultiLayerNetwork}, its configured name or index)
 * @param index the layer's index in a {@code MultiLayerNetwork}, or the vertex index in a
 *     {@code ComputationGraph}
 * @param channels number of channels (the layer's {@code nOut})
 * @param format the configured 2D format, which applies when the input has rank 4
 * @param decay the EMA weight of the old value
 * @param eps the epsilon added to the variance
 * @param parameterisation how the moving variance is stored
 * @param lockGammaBeta whether gamma and beta are fixed
 * @param paramKeyPrefix prefix of this layer's parameters in the network-level parameter table
 */
public record BnLayerRef(String name, int index, int channels, CNN2DFormat format, double decay, double eps,
                         VarianceParameterisation parameterisation, boolean lockGammaBeta,
                         String paramKeyPrefix) {

    /**
     * @param param a parameter name such as {@code mean}
     * @return the network-level key, e.g. {@code 3_mean} or {@code bn1_mean}
     */
    public String paramKey(String param) {
        return paramKeyPrefix + param;
    }

    /** @return the EMA window {@code 1/(1-decay)} in iterations */
    public double window() {
        return 1 / (1 - decay);
    }
}
