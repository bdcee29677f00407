package io.github.bndoctor.monitor;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;

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

    /**
     * Each value read exceeds the one before (the first exceeds 0): every hook added time; the last
     * is the final total, which cannot exceed the wall time around the training.
     *
     * @param reads how many values were read
     * @param total the final value
     * @param wall nanoseconds of wall time around the training
     */
    void assertGrowsEveryTimeUpTo(int reads, long total, long wall) {
        assertThat(after).hasSize(reads);
        long previous = 0;
        for (long n : after) {
            assertThat(n).as("value after each hook grows").isGreaterThan(previous);
            previous = n;
        }
        assertThat(total).isEqualTo(previous).isLessThanOrEqualTo(wall);
    }
}
