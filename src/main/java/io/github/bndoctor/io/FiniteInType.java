package io.github.bndoctor.io;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Whether a value stays finite once converted, with round-to-nearest-even, to a model's floating
 * point type: a value finite as a {@code double} may overflow to infinity in {@code FLOAT}
 * (IEEE 754 binary32, largest finite {@code 0x1.fffffep127}), {@code HALF} (binary16, largest
 * finite 65504; values from 65520 on round to infinity) or {@code BFLOAT16} (largest finite
 * {@code 0x1.fep127}; values from {@code 0x1.ffp127} on round to infinity). Non-floating types are
 * judged as {@code double}.
 */
public final class FiniteInType {
    /** The first binary16 overflow: half-way between 65504 and 65536, rounded to the even 65536 = infinity. */
    private static final float HALF_OVERFLOW = 65520f;
    /** The first bfloat16 overflow: half-way between 0x1.fep127 and 2^128, rounded to the even 2^128. */
    private static final float BFLOAT16_OVERFLOW = 0x1.ffp127f;

    private FiniteInType() {
    }

    /**
     * @param value a value
     * @param type the type it is converted to
     * @return whether the converted value is finite
     */
    public static boolean isFinite(double value, DataType type) {
        if (!Double.isFinite(value)) {
            return false;
        }
        return switch (type) {
            case FLOAT -> Float.isFinite((float) value);
            case HALF -> Math.abs((float) value) < HALF_OVERFLOW;
            case BFLOAT16 -> Math.abs((float) value) < BFLOAT16_OVERFLOW;
            default -> true;
        };
    }
}
