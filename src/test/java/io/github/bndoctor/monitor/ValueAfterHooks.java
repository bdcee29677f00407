package io.github.bndoctor.monitor;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Reads a value of the listeners set before it after their hooks (DL4J calls listeners in the order
 * set): after every forward pass, gradient and iteration, or after iterations only.
 */
final class ValueAfterHooks extends BaseTrainingListener {
    private final LongSupplier value;
    private final boolean everyHook;
    /** the values read, in order */
    final List<Long> after = new ArrayList<>();

    ValueAfterHooks(LongSupplier value, boolean everyHook) {
        this.value = value;
        this.everyHook = everyHook;
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        if (everyHook) {
            after.add(value.getAsLong());
        }
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        if (everyHook) {
            after.add(value.getAsLong());
        }
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (everyHook) {
            after.add(value.getAsLong());
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        after.add(value.getAsLong());
    }
}
