package io.github.bndoctor.probe;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.profiler.OpProfiler;
import org.nd4j.linalg.profiler.ProfilerConfig;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code FeedingWeights.flattenC} reads arrays straight from their buffers along their strides;
 * expected values from ND4J's own cast-and-copy in C order, an independent route, on the layouts
 * DL4J hands out: C and F order, views at an offset into a larger buffer (DL4J's parameter views),
 * transposed and strided views, both float widths, and the fallback for other types.
 */
@Tag("unit")
class FlattenWeightsTest {
    private static double[] viaNd4j(INDArray w) {
        return w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** 1, 2, 3, ... in C order, exactly. */
    private static INDArray counting(DataType type, char order, long... shape) {
        int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = i + 1;
        }
        return Nd4j.create(values, shape, 'c').castTo(type).dup(order);
    }

    @Test
    void contiguousArraysInEitherOrder() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray c4 = counting(type, 'c', 2, 3, 2, 2);
            assertThat(FeedingWeights.flattenC(c4, null)).containsExactly(viaNd4j(c4));
            INDArray f2 = counting(type, 'c', 4, 3).dup('f');
            assertThat(f2.ordering()).isEqualTo('f');
            assertThat(FeedingWeights.flattenC(f2, null)).containsExactly(viaNd4j(f2));
        }
    }

    @Test
    void viewsAtAnOffsetTransposedAndStrided() {
        INDArray flat = counting(DataType.FLOAT, 'c', 1, 40);
        // a parameter view: 12 elements from offset 7, as [3, 4] in C order and [4, 3] in F order
        INDArray view = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(7, 19));
        INDArray c = view.reshape('c', 3, 4);
        INDArray f = view.reshape('f', 4, 3);
        assertThat(c.offset()).isEqualTo(7);
        assertThat(FeedingWeights.flattenC(c, null)).containsExactly(viaNd4j(c));
        assertThat(FeedingWeights.flattenC(f, null)).containsExactly(viaNd4j(f));
        assertThat(FeedingWeights.flattenC(c.transpose(), null)).containsExactly(viaNd4j(c.transpose()));
        // every other column of a 4 x 6 matrix: stride 2 along the last axis
        INDArray m = counting(DataType.DOUBLE, 'c', 4, 6);
        INDArray strided = m.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 6));
        assertThat(strided.stride()).containsExactly(6L, 2L);
        assertThat(FeedingWeights.flattenC(strided, null)).containsExactly(viaNd4j(strided));
        assertThat(FeedingWeights.flattenC(strided, null)).startsWith(1, 3, 5, 7);
    }

    /**
     * What the direct read is for: no ND4J op (each pays M2.1's dispatch) for float or double arrays,
     * while the copying route runs two (cast, copy), counted by ND4J's own op profiler.
     */
    @Test
    void floatAndDoubleArraysAreReadWithoutAnNd4jOp() {
        INDArray f = counting(DataType.FLOAT, 'f', 3, 4);
        INDArray d = counting(DataType.DOUBLE, 'c', 2, 2, 3);
        INDArray h = counting(DataType.FLOAT, 'c', 2, 3).castTo(DataType.HALF);
        OpExecutioner ex = Nd4j.getExecutioner();
        ex.setProfilingConfig(ProfilerConfig.builder().build());
        ex.setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
        try {
            OpProfiler.getInstance().reset();
            FeedingWeights.flattenC(f, null);
            FeedingWeights.flattenC(d, null);
            assertThat(OpProfiler.getInstance().getInvocationsCount()).as("ops for float and double").isZero();
            FeedingWeights.flattenC(h, null);
            assertThat(OpProfiler.getInstance().getInvocationsCount()).as("ops for half").isEqualTo(2);
        } finally {
            ex.setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
            OpProfiler.getInstance().reset();
        }
    }

    @Test
    void aCallersArrayIsFilledWhenItsLengthMatches() {
        INDArray w = counting(DataType.FLOAT, 'c', 2, 3);
        double[] into = new double[6];
        double[] got = FeedingWeights.flattenC(w, into);
        assertThat(got).isSameAs(into).containsExactly(1, 2, 3, 4, 5, 6);
        // one element short or long: a new array, the caller's untouched
        double[] shorter = new double[5];
        double[] longer = new double[7];
        assertThat(FeedingWeights.flattenC(w, shorter)).isNotSameAs(shorter).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(FeedingWeights.flattenC(w, longer)).isNotSameAs(longer).hasSize(6);
        assertThat(shorter).containsOnly(0);
        assertThat(longer).containsOnly(0);
    }

    @Test
    void otherTypesTakeTheCopyingRouteAndEdgeShapesWork() {
        INDArray half = counting(DataType.FLOAT, 'c', 2, 3).castTo(DataType.HALF);
        assertThat(FeedingWeights.flattenC(half, null)).containsExactly(viaNd4j(half));
        INDArray one = Nd4j.scalar(DataType.FLOAT, 2.5f).reshape(1, 1);
        assertThat(FeedingWeights.flattenC(one, null)).containsExactly(2.5);
        assertThat(FeedingWeights.flattenC(Nd4j.create(DataType.FLOAT, 0, 3), null)).isEmpty();
    }
}
