package io.github.bndoctor.io;

import java.nio.ByteBuffer;

/**
 * The element types bn-doctor reads, with their size and their conversion to {@code double}.
 * Strings, objects, structured, complex and date types are not among them.
 *
 * <p>Half precision follows IEEE 754 binary16 (1 sign, 5 exponent, 10 fraction bits);
 * bfloat16 is the upper half of a binary32. Integers convert exactly up to 2^53.
 */
public enum ElementType {
    /** IEEE 754 binary16. */
    FLOAT16(2),
    /** bfloat16: the upper 16 bits of a binary32. */
    BFLOAT16(2),
    /** IEEE 754 binary32. */
    FLOAT32(4),
    /** IEEE 754 binary64. */
    FLOAT64(8),
    /** Signed 8-bit integer. */
    INT8(1),
    /** Unsigned 8-bit integer. */
    UINT8(1),
    /** Signed 16-bit integer. */
    INT16(2),
    /** Unsigned 16-bit integer. */
    UINT16(2),
    /** Signed 32-bit integer. */
    INT32(4),
    /** Unsigned 32-bit integer. */
    UINT32(4),
    /** Signed 64-bit integer. */
    INT64(8),
    /** Unsigned 64-bit integer. */
    UINT64(8),
    /** Boolean, one byte: 0 is false, any other byte true (NumPy's rule), read as 0 or 1. */
    BOOL(1);

    private final int size;

    ElementType(int size) {
        this.size = size;
    }

    /** @return bytes per element */
    public int size() {
        return size;
    }

    /** @return whether values can be NaN or infinite */
    public boolean isFloatingPoint() {
        return this == FLOAT16 || this == BFLOAT16 || this == FLOAT32 || this == FLOAT64;
    }

    /**
     * Reads one element at the buffer's position (in the buffer's byte order) and advances it.
     *
     * @param b the buffer
     * @return the value as a double
     */
    double read(ByteBuffer b) {
        return switch (this) {
            case FLOAT16 -> halfToFloat(b.getShort() & 0xffff);
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
            case FLOAT32 -> b.getFloat();
            case FLOAT64 -> b.getDouble();
            case INT8 -> b.get();
            case UINT8 -> b.get() & 0xff;
            case BOOL -> b.get() != 0 ? 1 : 0;
            case INT16 -> b.getShort();
            case UINT16 -> b.getShort() & 0xffff;
            case INT32 -> b.getInt();
            case UINT32 -> b.getInt() & 0xffffffffL;
            case INT64 -> b.getLong();
            case UINT64 -> unsigned(b.getLong());
        };
    }

    /**
     * @param h the 16 bits of an IEEE 754 binary16
     * @return its value (exact: every binary16 is a binary32)
     */
    static float halfToFloat(int h) {
        int exponent = (h >>> 10) & 0x1f;
        int fraction = h & 0x3ff;
        float v;
        if (exponent == 0) {
            v = fraction * 0x1p-24f;
        } else if (exponent == 31) {
            v = fraction == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            v = Float.intBitsToFloat(((exponent - 15 + 127) << 23) | (fraction << 13));
        }
        return (h & 0x8000) != 0 ? -v : v;
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }
}
