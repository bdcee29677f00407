package io.github.bndoctor.probe;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code FeedingWeights.flattenC} reads an array's elements in C order straight from its buffer along
 * its strides. Expected values come from ND4J's own route, a C-order copy widened to double, on
 * every layout a weight array or a view of one can have: contiguous C and F order, permuted, strided
 * and offset views, dimensions of size 1, a single element, and a type the buffer read does not take.
 */
class FeedingWeightsLayoutTest {
    private static Map<String, INDArray> layouts() {
        Nd4j.getRandom().setSeed(11);
        INDArray base = Nd4j.rand(DataType.FLOAT, 4, 5, 6);
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("C order", base);
        m.put("F order", base.dup('f'));
        m.put("permuted", base.permute(2, 0, 1));
        m.put("permuted, last two", base.permute(0, 2, 1));
        m.put("strided view with an offset",
                base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all(), NDArrayIndex.interval(1, 2, 6)));
        m.put("rows of a matrix from the second", base.reshape(20, 6).get(NDArrayIndex.interval(2, 20), NDArrayIndex.all()));
        m.put("a column", base.reshape(20, 6).getColumn(3));
        m.put("sizes of 1 between", Nd4j.rand(DataType.FLOAT, 1, 4, 1, 3, 1));
        m.put("sizes of 1 in a view", Nd4j.rand(DataType.FLOAT, 3, 1, 5).permute(2, 1, 0));
        m.put("one element", Nd4j.rand(DataType.FLOAT, 1, 1));
        m.put("double", Nd4j.rand(DataType.DOUBLE, 3, 7).permute(1, 0));
        m.put("an int array (read through ND4J's cast)", Nd4j.arange(24).reshape(2, 3, 4).castTo(DataType.INT).permute(1, 2, 0));
        m.put("a conv kernel", Nd4j.rand(DataType.FLOAT, 8, 3, 3, 3));
        return m;
    }

    private static double[] expected(INDArray w) {
        return w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    @Test
    void readsEveryLayoutInCOrder() {
        layouts().forEach((name, w) -> assertThat(FeedingWeights.flattenC(w, null)).as(name)
                .containsExactly(expected(w)));
    }

    @Test
    void fillsAnArrayOfTheRightLengthAndReplacesAnyOther() {
        INDArray w = layouts().get("permuted");
        double[] into = new double[(int) w.length()];
        assertThat(FeedingWeights.flattenC(w, into)).isSameAs(into).containsExactly(expected(w));
        double[] tooShort = new double[(int) w.length() - 1];
        double[] tooLong = new double[(int) w.length() + 1];
        assertThat(FeedingWeights.flattenC(w, tooShort)).isNotSameAs(tooShort).containsExactly(expected(w));
        assertThat(FeedingWeights.flattenC(w, tooLong)).isNotSameAs(tooLong).containsExactly(expected(w));
        assertThat(tooLong).containsOnly(0.0);
    }
}
