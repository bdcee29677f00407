package io.github.bndoctor.probe;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The largest absolute value among a network's outputs: the plain sign of an output collapse. In
 * the reported pose model the inference-mode heatmaps fell to about 1e-11 while training-mode
 * peaks stayed near 1; a ratio of losses hides how far the outputs themselves fell.
 */
public final class LargestOutput {
    private LargestOutput() {
    }

    /**
     * @param outputs network outputs (any shapes)
     * @return {@code max |x|} over every element of every array; {@code NaN} if an element is NaN or
     *     there is no element at all
     */
    public static double of(INDArray... outputs) {
        double max = Double.NaN;
        for (INDArray o : outputs) {
            if (o.length() == 0) {
                continue;
            }
            if (o.isNaN().any()) {
                return Double.NaN;
            }
            double m = o.amaxNumber().doubleValue();
            max = Double.isNaN(max) ? m : Math.max(max, m);
        }
        return max;
    }
}
