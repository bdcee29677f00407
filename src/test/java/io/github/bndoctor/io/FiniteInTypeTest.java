package io.github.bndoctor.io;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Overflow on conversion at, below and above each type's boundary; the boundaries from IEEE 754
 * (binary32 largest finite (2 - 2^-23) 2^127, rounding to infinity from (2 - 2^-24) 2^127; binary16
 * largest 65504, infinity from 65520) and bfloat16's 8-bit significand.
 */
@Tag("unit")
class FiniteInTypeTest {
    @Test
    void floatOverflowsFromHalfAnUlpAboveItsLargestValue() {
        double largest = Float.MAX_VALUE;
        double firstOverflow = (2 - Math.pow(2, -24)) * Math.pow(2, 127);
        assertThat(FiniteInType.isFinite(largest, DataType.FLOAT)).isTrue();
        assertThat(FiniteInType.isFinite(Math.nextDown(firstOverflow), DataType.FLOAT)).isTrue();
        assertThat(FiniteInType.isFinite(firstOverflow, DataType.FLOAT)).isFalse();
        assertThat(FiniteInType.isFinite(-1e39, DataType.FLOAT)).isFalse();
        assertThat(FiniteInType.isFinite(1e39, DataType.DOUBLE)).isTrue();
    }

    @Test
    void halfAndBfloat16OverflowAtTheirRoundingBoundaries() {
        assertThat(FiniteInType.isFinite(65504, DataType.HALF)).isTrue();
        assertThat(FiniteInType.isFinite(65519.99, DataType.HALF)).isTrue();
        assertThat(FiniteInType.isFinite(65520, DataType.HALF)).isFalse();
        assertThat(FiniteInType.isFinite(-65520, DataType.HALF)).isFalse();
        double bfLargest = (2 - Math.pow(2, -7)) * Math.pow(2, 127);
        double bfOverflow = (2 - Math.pow(2, -8)) * Math.pow(2, 127);
        assertThat(FiniteInType.isFinite(bfLargest, DataType.BFLOAT16)).isTrue();
        assertThat(FiniteInType.isFinite(Math.nextDown((float) bfOverflow), DataType.BFLOAT16)).isTrue();
        assertThat(FiniteInType.isFinite(bfOverflow, DataType.BFLOAT16)).isFalse();
    }

    @Test
    void nanAndInfinityAreNeverFinite() {
        for (DataType t : new DataType[] {DataType.DOUBLE, DataType.FLOAT, DataType.HALF, DataType.BFLOAT16, DataType.INT}) {
            assertThat(FiniteInType.isFinite(Double.NaN, t)).isFalse();
            assertThat(FiniteInType.isFinite(Double.NEGATIVE_INFINITY, t)).isFalse();
        }
    }
}
