package io.github.bndoctor.dl4j;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes a small parameter vector (a view into a network's flattened buffer) element by element
 * into its host buffer, without running an ND4J op, the counterpart of {@link VectorReader}: a
 * create, a cast and an assign pay ND4J's per-op dispatch (and a native allocation) for every array,
 * which adds up when a pass writes every BN layer's statistics. A double is rounded to a float
 * parameter as Java's narrowing conversion rounds it (IEEE 754 round to nearest, ties to even),
 * which is how ND4J's cast rounds it on the CPU; a double parameter takes it as it is.
 *
 * <p>Applies to float and double vectors with a positive element stride on the CPU backend only
 * (elsewhere the host buffer may not be the copy the device computes with): callers fall back to
 * ND4J's assign where {@link #applies} is false.
 */
final class VectorWriter {
    private static final boolean CPU = Nd4j.getEnvironment().isCPU();

    private VectorWriter() {
    }

    /**
     * @param v a parameter vector
     * @return whether {@link #write} and {@link #readRaw}/{@link #writeRaw} can handle it
     */
    static boolean applies(INDArray v) {
        if (!CPU || !v.isVectorOrScalar() || v.elementWiseStride() < 1 || v.length() > Integer.MAX_VALUE
                || (v.dataType() != DataType.FLOAT && v.dataType() != DataType.DOUBLE)) {
            return false;
        }
        DataBuffer b = v.data();
        long start = v.offset() - b.offset();
        return start >= 0 && start + (v.length() - 1) * v.elementWiseStride() < b.length();
    }

    /**
     * @param v a vector for which {@link #applies} holds
     * @param values its new values, as many as it has elements
     */
    static void write(INDArray v, double[] values) {
        if (values.length != v.length()) {
            throw new ShapeMismatchException("vector has " + v.length() + " elements, got " + values.length + " values");
        }
        DataBuffer b = v.data();
        long start = v.offset() - b.offset();
        long ews = v.elementWiseStride();
        if (v.dataType() == DataType.FLOAT) {
            for (int i = 0; i < values.length; i++) {
                b.put(start + i * ews, (float) values[i]);
            }
        } else {
            for (int i = 0; i < values.length; i++) {
                b.put(start + i * ews, values[i]);
            }
        }
    }

    /**
     * The stored values as they are, for {@link #writeRaw}: floats kept as floats, so that writing them
     * back restores the vector bit for bit.
     *
     * @param v a vector for which {@link #applies} holds
     * @return a {@code float[]} or a {@code double[]}
     */
    static Object readRaw(INDArray v) {
        DataBuffer b = v.data();
        long start = v.offset() - b.offset();
        long ews = v.elementWiseStride();
        int n = (int) v.length();
        if (v.dataType() == DataType.FLOAT) {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = b.getFloat(start + i * ews);
            }
            return out;
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = b.getDouble(start + i * ews);
        }
        return out;
    }

    /**
     * @param v the vector {@code raw} was read from
     * @param raw what {@link #readRaw} returned
     */
    static void writeRaw(INDArray v, Object raw) {
        DataBuffer b = v.data();
        long start = v.offset() - b.offset();
        long ews = v.elementWiseStride();
        if (raw instanceof float[] f) {
            for (int i = 0; i < f.length; i++) {
                b.put(start + i * ews, f[i]);
            }
        } else {
            double[] d = (double[]) raw;
            for (int i = 0; i < d.length; i++) {
                b.put(start + i * ews, d[i]);
            }
        }
    }
}
