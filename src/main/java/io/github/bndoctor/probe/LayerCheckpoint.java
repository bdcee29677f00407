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
 * @param noiseCost expected eval/precise from the EMA's sampling noise alone at the decay in force and
 *     the training batch's size ({@link NoiseCost}; {@code NaN} where not measured: a decay above
 *     {@link NoiseCost#NEAR_FLOOR_DECAY}, or no training batch size known)
 */
public record LayerCheckpoint(LayerDecomposition decomposition, double rotationDegPerIter, double predictedLag,
                              double measuredLag, double decay, double noiseCost) {
    /**
     * A checkpoint without the noise cost.
     *
     * @param decomposition EMA error, warm-up, lag and batch noise
     * @param rotationDegPerIter angular speed of the feeding weights
     * @param predictedLag {@code rotation x d/(1-d)}
     * @param measuredLag measured lag angle
     * @param decay the decay in force
     */
    public LayerCheckpoint(LayerDecomposition decomposition, double rotationDegPerIter, double predictedLag,
                           double measuredLag, double decay) {
        this(decomposition, rotationDegPerIter, predictedLag, measuredLag, decay, Double.NaN);
    }

    /**
     * A checkpoint without a measured lag angle or the decay in force.
     *
     * @param decomposition EMA error, warm-up, lag and batch noise
     * @param rotationDegPerIter angular speed of the feeding weights
     * @param predictedLag {@code rotation x d/(1-d)}
     */
    public LayerCheckpoint(LayerDecomposition decomposition, double rotationDegPerIter, double predictedLag) {
        this(decomposition, rotationDegPerIter, predictedLag, Double.NaN, Double.NaN, Double.NaN);
    }

    /** @return the layer's name */
    public String name() {
        return decomposition.layer();
    }
}
