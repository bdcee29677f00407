package io.github.bndoctor.probe;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The loss a probe compares across modes, computed from network outputs and labels (never from
 * {@code score()}, which adds regularisation terms identical in both modes and so dilutes the
 * ratio).
 */
@FunctionalInterface
public interface LossMeasure {
    /**
     * Mean squared error over all output elements, in double precision: the L2 heatmap loss of
     * the reported pose model, and a mode-agnostic measure of output deviation for any model.
     */
    LossMeasure MSE = (outputs, labels) -> {
        double sum = 0;
        long n = 0;
        for (int i = 0; i < outputs.length; i++) {
            INDArray d = outputs[i].castTo(DataType.DOUBLE).sub(labels[i].castTo(DataType.DOUBLE));
            sum += d.mul(d).sumNumber().doubleValue();
            n += d.length();
        }
        return sum / n;
    };

    /**
     * @param outputs network outputs
     * @param labels labels, same shapes
     * @return the loss
     */
    double loss(INDArray[] outputs, INDArray[] labels);

    /**
     * The loss of outputs that are all zero: this loss applied to zeros shaped like {@code outputs}
     * (whatever the model), the level an inference-mode loss sits at when the outputs collapse. For
     * {@link #MSE} it is the mean of the squared labels.
     *
     * @param outputs network outputs; only their shapes and data types are used
     * @param labels labels
     * @return {@code loss(zeros like outputs, labels)}
     */
    default double zerosLoss(INDArray[] outputs, INDArray[] labels) {
        INDArray[] zeros = new INDArray[outputs.length];
        for (int i = 0; i < zeros.length; i++) {
            zeros[i] = Nd4j.zeros(outputs[i].dataType(), outputs[i].shape());
        }
        return loss(zeros, labels);
    }
}
