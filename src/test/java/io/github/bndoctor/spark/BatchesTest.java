package io.github.bndoctor.spark;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Regrouping a partition's elements into batches: sizes at, below and above the batch size. */
@Tag("unit")
class BatchesTest {
    /** Elements of rows [start, start + n) of a column 0, 1, 2, ... so that order is visible. */
    private static INDArray[] rows(int start, int n) {
        INDArray a = Nd4j.create(DataType.FLOAT, n, 2);
        for (int i = 0; i < n; i++) {
            a.putScalar(i, 0, start + i);
            a.putScalar(i, 1, -(start + i));
        }
        return new INDArray[] {a};
    }

    private static List<List<Integer>> regroup(int batch, int... sizes) {
        List<INDArray[]> in = new ArrayList<>();
        int start = 0;
        for (int s : sizes) {
            in.add(rows(start, s));
            start += s;
        }
        List<List<Integer>> out = new ArrayList<>();
        Batches b = new Batches(in.iterator(), batch);
        while (b.hasNext()) {
            INDArray x = b.next()[0];
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < x.size(0); i++) {
                ids.add((int) x.getDouble(i, 0));
                assertThat(x.getDouble(i, 1)).isEqualTo(-x.getDouble(i, 0));
            }
            out.add(ids);
        }
        return out;
    }

    @Test
    void elementsOfExactlyTheBatchSizeAreTheBatches() {
        assertThat(regroup(3, 3, 3)).containsExactly(List.of(0, 1, 2), List.of(3, 4, 5));
    }

    @Test
    void smallerElementsAreJoinedAndLargerOnesSplit() {
        assertThat(regroup(3, 2, 2, 7)).containsExactly(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6, 7, 8),
                List.of(9, 10));
    }

    @Test
    void aLastBatchOfOneIsDroppedOfTwoKept() {
        assertThat(regroup(3, 4)).containsExactly(List.of(0, 1, 2));
        assertThat(regroup(3, 5)).containsExactly(List.of(0, 1, 2), List.of(3, 4));
        assertThat(regroup(3, 0, 1)).isEmpty();
        assertThat(regroup(3)).isEmpty();
    }
}
