package io.github.bndoctor.io;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A dense array stored in a file region (a {@code .npy} body, an array of a DL4J {@code DataSet}
 * file), read example by example along its first dimension. Nothing is held open or cached: each
 * read opens the file, reads exactly the bytes of the requested examples and converts them, so
 * memory grows with the examples requested, never with the file.
 *
 * <p>Every read is checked before allocation: the destination must stay under
 * {@link #readLimit()} bytes. Values that are NaN or infinite, or become infinite when converted to
 * the type read ({@link FiniteInType}: a float64 1e39 read as {@code FLOAT}), are refused
 * (bn-doctor's statistics have no meaning for them), naming the example and the element.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class ArrayFile {
    /** Largest rank accepted (ND4J's own limit). */
    public static final int MAX_RANK = 32;
    private static final int CHUNK = 1 << 20;

    private final Path file;
    private final long offset;
    private final long[] shape;
    private final ElementType type;
    private final ByteOrder byteOrder;
    private final boolean fortranOrder;
    private final long valuesPerExample;
    private final long readLimit;

    private ArrayFile(Path file, long offset, long[] shape, ElementType type, ByteOrder byteOrder, boolean fortranOrder,
                      long valuesPerExample, long readLimit) {
        this.file = file;
        this.offset = offset;
        this.shape = shape;
        this.type = type;
        this.byteOrder = byteOrder;
        this.fortranOrder = fortranOrder;
        this.valuesPerExample = valuesPerExample;
        this.readLimit = readLimit;
    }

    /**
     * Describes an array whose body has been checked to lie within the file.
     *
     * @param file the file
     * @param offset byte offset of the first element
     * @param shape dimensions, first = examples; rank 1 to {@value #MAX_RANK}
     * @param type element type
     * @param byteOrder byte order of multi-byte elements
     * @param fortranOrder column-major (first index fastest) instead of row-major
     * @return the array
     * @throws InputFileException if the shape is empty, negative or its byte size overflows a long
     */
    public static ArrayFile of(Path file, long offset, long[] shape, ElementType type, ByteOrder byteOrder,
                               boolean fortranOrder) {
        if (shape.length < 1 || shape.length > MAX_RANK) {
            throw new InputFileException(file, "array of rank " + shape.length + ": need 1 to " + MAX_RANK
                    + " dimensions, the first one counting examples");
        }
        long per = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new InputFileException(file, "negative dimension in shape " + Arrays.toString(shape));
            }
            if (i > 0) {
                per = multiply(file, per, shape[i], shape);
            }
        }
        multiply(file, multiply(file, per, shape[0], shape), type.size(), shape);
        return new ArrayFile(file, offset, shape.clone(), type, byteOrder, fortranOrder, per, defaultReadLimit());
    }

    /**
     * @param file the file, for the message
     * @param a a non-negative factor
     * @param b a non-negative factor
     * @param shape the shape, for the message
     * @return {@code a * b}
     * @throws InputFileException if the product overflows a long
     */
    static long multiply(Path file, long a, long b, long[] shape) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new InputFileException(file, "shape " + Arrays.toString(shape) + " has more elements than a file can hold");
        }
    }

    /** @return the default read limit: an eighth of the heap the JVM may use, at most 1 GiB */
    public static long defaultReadLimit() {
        return Math.min(Runtime.getRuntime().maxMemory() / 8, 1L << 30);
    }

    /**
     * @param bytes the largest destination a single read may allocate
     * @return a copy with that read limit
     */
    public ArrayFile withReadLimit(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("read limit must be positive, got " + bytes);
        }
        return new ArrayFile(file, offset, shape, type, byteOrder, fortranOrder, valuesPerExample, bytes);
    }

    /** @return the file */
    public Path file() {
        return file;
    }

    /** @return the dimensions (a copy), first = examples */
    public long[] shape() {
        return shape.clone();
    }

    /** @return the stored element type */
    public ElementType elementType() {
        return type;
    }

    /** @return the byte order of the stored elements */
    public ByteOrder byteOrder() {
        return byteOrder;
    }

    /** @return whether the elements are stored column-major */
    public boolean fortranOrder() {
        return fortranOrder;
    }

    /** @return the number of examples (the first dimension) */
    public long examples() {
        return shape[0];
    }

    /** @return values per example (the product of the other dimensions) */
    public long valuesPerExample() {
        return valuesPerExample;
    }

    /** @return the body's size in bytes */
    public long bodyBytes() {
        return shape[0] * valuesPerExample * type.size();
    }

    /** @return the largest destination, in bytes, a single read may allocate */
    public long readLimit() {
        return readLimit;
    }

    /**
     * @param from first example
     * @param count number of examples
     * @return their values, row-major ({@code count x valuesPerExample})
     * @throws InputFileException if the read exceeds the limit, the file is shorter than described
     *     or a value is not finite
     */
    public float[] readFloats(long from, int count) {
        return readFloats(from, count, DataType.FLOAT);
    }

    private float[] readFloats(long from, int count, DataType as) {
        float[] out = new float[checkedLength(from, count, Float.BYTES)];
        read(from, count, as, (i, v) -> out[i] = (float) v);
        return out;
    }

    /**
     * @param from first example
     * @param count number of examples
     * @return their values, row-major ({@code count x valuesPerExample})
     * @throws InputFileException if the read exceeds the limit, the file is shorter than described
     *     or a value is not finite
     */
    public double[] readDoubles(long from, int count) {
        double[] out = new double[checkedLength(from, count, Double.BYTES)];
        read(from, count, DataType.DOUBLE, (i, v) -> out[i] = v);
        return out;
    }

    /**
     * @param from first example
     * @param count number of examples
     * @param dataType the array's data type
     * @return the examples as a C-order array of shape {@code [count, shape[1], ...]}
     * @throws InputFileException as {@link #readFloats}
     */
    public INDArray read(long from, int count, DataType dataType) {
        long[] s = shape.clone();
        s[0] = count;
        if (dataType == DataType.DOUBLE) {
            return Nd4j.create(readDoubles(from, count), s, 'c');
        }
        INDArray a = Nd4j.create(readFloats(from, count, dataType), s, 'c');
        return dataType == DataType.FLOAT ? a : a.castTo(dataType);
    }

    private int checkedLength(long from, int count, int bytesPerValue) {
        if (from < 0 || count < 0 || from > shape[0] - count) {
            throw new IndexOutOfBoundsException("examples [" + from + ", " + from + " + " + count + ") of " + shape[0]);
        }
        long values = multiply(file, count, valuesPerExample, shape);
        long bytes = multiply(file, values, bytesPerValue, shape);
        if (bytes > readLimit || values > Integer.MAX_VALUE - 8) {
            throw new InputFileException(file, count + " example(s) of " + valuesPerExample + " value(s) each need "
                    + bytes + " bytes in memory, over the limit of " + readLimit + " bytes (shape "
                    + Arrays.toString(shape) + ")");
        }
        return (int) values;
    }

    private interface Sink {
        void put(int index, double value);
    }

    private void read(long from, int count, DataType as, Sink sink) {
        if (count == 0 || valuesPerExample == 0) {
            return;
        }
        int size = type.size();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (!fortranOrder || shape.length == 1) {
                long start = offset + from * valuesPerExample * size;
                long n = count * valuesPerExample;
                ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, n * size)).order(byteOrder);
                long done = 0;
                while (done < n) {
                    int k = (int) Math.min(n - done, buf.capacity() / size);
                    fill(ch, buf, start + done * size, k * size);
                    for (int j = 0; j < k; j++) {
                        put(sink, (int) (done + j), type.read(buf), from, as);
                    }
                    done += k;
                }
            } else {
                // column-major: element (i, j...) sits at i + n * f(j...), f the column-major index
                // of the trailing dimensions; each f holds the requested examples contiguously
                ByteBuffer buf = ByteBuffer.allocate(count * size).order(byteOrder);
                long n = shape[0];
                int rank = shape.length;
                long[] idx = new long[rank];
                long[] cStride = new long[rank];
                cStride[rank - 1] = 1;
                for (int d = rank - 2; d >= 1; d--) {
                    cStride[d] = cStride[d + 1] * shape[d + 1];
                }
                long c = 0;
                for (long f = 0; f < valuesPerExample; f++) {
                    fill(ch, buf, offset + (f * n + from) * size, count * size);
                    for (int i = 0; i < count; i++) {
                        put(sink, (int) (i * valuesPerExample + c), type.read(buf), from, as);
                    }
                    for (int d = 1; d < rank; d++) {
                        if (++idx[d] < shape[d]) {
                            c += cStride[d];
                            break;
                        }
                        c -= (shape[d] - 1) * cStride[d];
                        idx[d] = 0;
                    }
                }
            }
        } catch (IOException e) {
            throw new InputFileException(file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private void put(Sink sink, int index, double v, long from, DataType as) {
        if (!FiniteInType.isFinite(v, as)) {
            throw new InputFileException(file, "example " + (from + index / valuesPerExample) + " holds a non-finite value "
                    + (Double.isFinite(v) ? "as " + as + ", the type read (" + v + " overflows it)" : "(" + v + ")")
                    + " at element " + index % valuesPerExample + " of the example: NaN, infinity and values beyond the"
                    + " model's type are not valid inputs");
        }
        sink.put(index, v);
    }

    private void fill(FileChannel ch, ByteBuffer buf, long position, int bytes) throws IOException {
        buf.clear().limit(bytes);
        long p = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) {
                throw new InputFileException(file, "ends at byte " + ch.size() + " but the array's body needs "
                        + (offset + bodyBytes()) + " bytes (was the file truncated?)");
            }
            p += r;
        }
        buf.flip();
    }
}
