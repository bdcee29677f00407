package io.github.bndoctor.dl4j;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * A bit-exact copy of a network's flattened parameters, to prove that an operation changed
 * nothing ({@link #isIdenticalTo}) or to find the first parameter it did change.
 */
public final class ParameterSnapshot {
    private final double[] values;

    private ParameterSnapshot(double[] values) {
        this.values = values;
    }

    /**
     * @param net the network
     * @return a copy of its parameters (float values widen to double exactly)
     */
    public static ParameterSnapshot of(BnNetwork net) {
        return of(net.params());
    }

    /**
     * @param params a parameter vector
     * @return a copy of it
     */
    public static ParameterSnapshot of(INDArray params) {
        return new ParameterSnapshot(params.castTo(DataType.DOUBLE).toDoubleVector());
    }

    /**
     * @param other another snapshot
     * @return whether every parameter has the same bits
     */
    public boolean isIdenticalTo(ParameterSnapshot other) {
        return Arrays.equals(values, other.values);
    }

    /**
     * @param other another snapshot
     * @return index of the first differing parameter, or -1
     */
    public int firstDifference(ParameterSnapshot other) {
        return Arrays.mismatch(values, other.values);
    }

    /** @return number of parameters */
    public int size() {
        return values.length;
    }
}
