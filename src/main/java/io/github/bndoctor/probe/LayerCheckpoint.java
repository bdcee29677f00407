package io.github.bndoctor.probe;

/**
 * One BN layer's state at a checkpoint.
 *
 * @param decomposition EMA error, warm-up, lag and batch noise
 * @param rotationDegPerIter angular speed of the feeding weights, degrees per iteration ({@code NaN} if unknown)
 * @param predictedLag {@code rotation x d/(1-d)}, degrees ({@code NaN} if unknown)
 */
public record LayerCheckpoint(LayerDecomposition decomposition, double rotationDegPerIter, double predictedLag) {
    /** @return the layer's name */
    public String name() {
        return decomposition.layer();
    }
}
