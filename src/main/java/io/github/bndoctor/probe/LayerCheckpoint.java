package io.github.bndoctor.probe;

/**
 * One BN layer's state at a checkpoint.
 *
 * @param decomposition EMA error, warm-up, lag and batch noise
 * @param rotationDegPerIter angular speed of the feeding weights, degrees per iteration ({@code NaN} if unknown)
 * @param predictedLag {@code rotation x d/(1-d)}, degrees: the single-step extrapolation, which
 *     over-predicts where steps are partly noise ({@code NaN} if unknown)
 * @param measuredLag angle between the feeding weights now and at the EMA's mean age {@code d/(1-d)}
 *     ({@link WeightSnapshotRing#lagAngleDegrees}), degrees ({@code NaN} while the history is shorter)
 * @param decay the decay in force at the checkpoint (an {@code AdaptiveDecay} listener may have
 *     changed the configured one; {@code NaN} if unknown)
 */
public record LayerCheckpoint(LayerDecomposition decomposition, double rotationDegPerIter, double predictedLag,
                              double measuredLag, double decay) {
    /**
     * A checkpoint without a measured lag angle or the decay in force.
     *
     * @param decomposition EMA error, warm-up, lag and batch noise
     * @param rotationDegPerIter angular speed of the feeding weights
     * @param predictedLag {@code rotation x d/(1-d)}
     */
    public LayerCheckpoint(LayerDecomposition decomposition, double rotationDegPerIter, double predictedLag) {
        this(decomposition, rotationDegPerIter, predictedLag, Double.NaN, Double.NaN);
    }

    /** @return the layer's name */
    public String name() {
        return decomposition.layer();
    }
}
