package io.github.bndoctor.probe;

/**
 * One BN layer's state at a checkpoint.
 *
 * @param decomposition EMA error, warm-up, lag and batch noise
 * @param rotationDegPerIter angular speed of the feeding weights, degrees per iteration ({@code NaN} if unknown)
 * @param predictedLag {@code rotation x d/(1-d)}, degrees ({@code NaN} if unknown)
 * @param decay the decay in force at the checkpoint (an {@code AdaptiveDecay} listener may have
 *     changed the configured one; {@code NaN} if unknown)
 */
public record LayerCheckpoint(LayerDecomposition decomposition, double rotationDegPerIter, double predictedLag,
                              double decay) {
    /**
     * A checkpoint without the decay in force.
     *
     * @param decomposition EMA error, warm-up, lag and batch noise
     * @param rotationDegPerIter angular speed of the feeding weights
     * @param predictedLag predicted lag, degrees
     */
    public LayerCheckpoint(LayerDecomposition decomposition, double rotationDegPerIter, double predictedLag) {
        this(decomposition, rotationDegPerIter, predictedLag, Double.NaN);
    }

    /** @return the layer's name */
    public String name() {
        return decomposition.layer();
    }
}
