package io.github.bndoctor.dl4j;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reads a small parameter or gradient vector (a view into a network's flattened buffer) into
 * doubles element by element from its buffer, without running an ND4J op: a cast-and-copy pays
 * ND4J's per-op dispatch for every array, which adds up when a listener reads every BN layer at
 * every iteration. Float values widen to double exactly.
 */
final class VectorReader {
    private VectorReader() {
    }

    /**
     * @param v a vector (any rank with a single non-unit dimension)
     * @return its values
     */
    static double[] doubles(INDArray v) {
        long ews = v.elementWiseStride();
        if (!v.isVectorOrScalar() || ews < 1 || v.length() > Integer.MAX_VALUE) {
            return v.castTo(DataType.DOUBLE).toDoubleVector();
        }
        int n = (int) v.length();
        DataBuffer b = v.data();
        // a view's buffer may itself start at an offset into the parent buffer (ND4J 1.0.0-M2.1 does this)
        long start = v.offset() - b.offset();
        if (start < 0 || start + (n - 1L) * ews >= b.length()) {
            return v.castTo(DataType.DOUBLE).toDoubleVector();
        }
        return b.getDoublesAt(start, ews, n);
    }
}
