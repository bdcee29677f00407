package io.github.bndoctor.io;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Headers of ND4J's binary array format ({@code Nd4j.write}: the array's shape-information buffer,
 * then its data buffer, each as an allocation-mode name, a length and a data-type name in
 * {@code DataOutputStream} encoding, followed by the big-endian elements). Used by DL4J's
 * {@code DataSet} files and by the {@code coefficients.bin} entry of model zips.
 *
 * <p>Every length is checked before it is used: the shape information against the largest rank,
 * the data length against the product of the shape (computed with overflow checks) and, by the
 * callers, against the bytes the file or entry can hold.
 */
final class Nd4jBinary {
    private static final int MAX_NAME = 64;

    private Nd4jBinary() {
    }

    /**
     * An array's header.
     *
     * @param shape its dimensions
     * @param fortranOrder column-major
     * @param type element type of the data that follows (big-endian)
     * @param length number of elements that follow
     */
    record Header(long[] shape, boolean fortranOrder, ElementType type, long length) {
        /** @return bytes of the data that follows the header */
        long bodyBytes() {
            return length * type.size();
        }
    }

    /**
     * Reads an array's header; the stream is then positioned at its first element.
     *
     * @param in the stream
     * @param file the file, for messages
     * @param what what the array is, for messages
     * @return the header
     * @throws InputFileException if the header is malformed or inconsistent
     */
    static Header readHeader(DataInputStream in, Path file, String what) {
        try {
            long shapeLength = length(in, file, what + " shape");
            ElementType shapeType = type(in, file, what + " shape");
            if (shapeType != ElementType.INT64 && shapeType != ElementType.INT32) {
                throw new InputFileException(file, what + ": shape information of type " + shapeType + ", expected LONG");
            }
            if (shapeLength < 4 || shapeLength > 2L * ArrayFile.MAX_RANK + 4) {
                throw new InputFileException(file, what + ": shape information of " + shapeLength + " values: not an ND4J array");
            }
            long[] info = new long[(int) shapeLength];
            for (int i = 0; i < info.length; i++) {
                info[i] = shapeType == ElementType.INT64 ? in.readLong() : in.readInt();
            }
            int rank = (int) Math.min(info[0], Integer.MAX_VALUE);
            if (info[0] < 0 || shapeLength != 2L * rank + 4) {
                throw new InputFileException(file, what + ": rank " + info[0] + " does not match " + shapeLength
                        + " values of shape information");
            }
            long[] shape = Arrays.copyOfRange(info, 1, 1 + rank);
            long order = info[info.length - 1];
            if (order != 'c' && order != 'f') {
                throw new InputFileException(file, what + ": order " + order + " is neither 'c' nor 'f'");
            }
            boolean fortran = order == 'f';
            long product = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new InputFileException(file, what + ": negative dimension in shape " + Arrays.toString(shape));
                }
                product = ArrayFile.multiply(file, product, d, shape);
            }
            long expected = 1;
            for (int i = 0; i < rank; i++) {
                int d = fortran ? i : rank - 1 - i;
                if (shape[d] > 1 && info[1 + rank + d] != expected) {
                    throw new InputFileException(file, what + ": strides " + Arrays.toString(Arrays.copyOfRange(info,
                            1 + rank, 1 + 2 * rank)) + " are not those of a dense array of shape " + Arrays.toString(shape));
                }
                expected *= Math.max(shape[d], 1);
            }
            long length = length(in, file, what);
            ElementType type = type(in, file, what);
            if (length != product) {
                throw new InputFileException(file, what + ": data holds " + length + " elements but shape "
                        + Arrays.toString(shape) + " needs " + product);
            }
            ArrayFile.multiply(file, length, type.size(), shape);
            return new Header(shape, fortran, type, length);
        } catch (EOFException e) {
            throw new InputFileException(file, what + ": the file ends inside the array header (truncated?)", e);
        } catch (IOException e) {
            throw new InputFileException(file, what + " cannot be read (" + e.getMessage() + ")", e);
        }
    }

    /** Receives decoded elements. */
    interface ValueSink {
        /**
         * @param index the element's index
         * @param value its value
         */
        void put(int index, double value);
    }

    /**
     * Reads the elements that follow a header, in chunks, into {@code sink(index, value)}.
     *
     * @param in the stream, positioned after the header
     * @param h the header
     * @param sink receives each element
     * @throws IOException on a read error or a premature end
     */
    static void readValues(DataInputStream in, Header h, ValueSink sink) throws IOException {
        int size = h.type().size();
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16).order(java.nio.ByteOrder.BIG_ENDIAN);
        long done = 0;
        while (done < h.length()) {
            int k = (int) Math.min(h.length() - done, buf.capacity() / size);
            in.readFully(buf.array(), 0, k * size);
            buf.clear();
            for (int j = 0; j < k; j++) {
                sink.put((int) (done + j), h.type().read(buf));
            }
            done += k;
        }
    }

    private static long length(DataInputStream in, Path file, String what) throws IOException {
        String mode = name(in, file, what);
        if (!mode.equals("MIXED_DATA_TYPES") && !mode.equals("LONG_SHAPE")) {
            throw new InputFileException(file, what + ": buffer allocation mode '" + mode
                    + "' (older ND4J format or not an ND4J array); re-save it with DL4J 1.0.0-M2.1");
        }
        long n = in.readLong();
        if (n < 0) {
            throw new InputFileException(file, what + ": negative length " + n);
        }
        return n;
    }

    private static ElementType type(DataInputStream in, Path file, String what) throws IOException {
        String name = name(in, file, what);
        return switch (name) {
            case "DOUBLE" -> ElementType.FLOAT64;
            case "FLOAT" -> ElementType.FLOAT32;
            case "HALF" -> ElementType.FLOAT16;
            case "BFLOAT16" -> ElementType.BFLOAT16;
            case "LONG" -> ElementType.INT64;
            case "INT" -> ElementType.INT32;
            case "SHORT" -> ElementType.INT16;
            case "BYTE" -> ElementType.INT8;
            case "UBYTE" -> ElementType.UINT8;
            case "UINT16" -> ElementType.UINT16;
            case "UINT32" -> ElementType.UINT32;
            case "UINT64" -> ElementType.UINT64;
            case "BOOL" -> ElementType.BOOL;
            default -> throw new InputFileException(file, what + ": unsupported element type '" + name + "'");
        };
    }

    private static String name(DataInputStream in, Path file, String what) throws IOException {
        int n = in.readUnsignedShort();
        if (n == 0 || n > MAX_NAME) {
            throw new InputFileException(file, what + ": not an ND4J array header (name of " + n + " bytes)");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        String s = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (!s.chars().allMatch(c -> (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
            throw new InputFileException(file, what + ": not an ND4J array header");
        }
        return s;
    }
}
