package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The sample cap of precise statistics, fed more data than the cap: batches are taken until at
 * least {@code samples} examples were used (the last one whole) and no further; and
 * {@link PreciseBn#recalibrate} resets a resettable iterator before reading, so a consumed
 * iterator gives the same statistics as a fresh one. Expected values come from the network's own
 * training-mode {@code feedForward} pooled with plain loops ({@link ProbeFixtures#pooledBnInput}).
 */
@Tag("unit")
class PreciseSampleCapTest {
    /** Double sums of the same float activations in another order: ~N * 2^-53 relative, 1e-9 is loose. */
    private static final double TOL = 1e-9;
    private static final int BATCH = 8;

    /** Iterator that counts the batches drawn from it. */
    private static final class Counting implements Iterator<INDArray[]> {
        private final Iterator<INDArray[]> in;
        private int drawn;

        Counting(List<INDArray[]> batches) {
            this.in = batches.iterator();
        }

        @Override
        public boolean hasNext() {
            return in.hasNext();
        }

        @Override
        public INDArray[] next() {
            drawn++;
            return in.next();
        }
    }

    private static int batchesDrawn(BnNetwork net, List<INDArray[]> batches, int samples) {
        Counting c = new Counting(batches);
        PreciseStatistics.estimate(net, c, samples, PopulationEstimator.POOLED);
        return c.drawn;
    }

    private static MeanVariance pooledFirstLayer(BnNetwork net, List<INDArray[]> batches) {
        return ProbeFixtures.pooledBnInput(net, batches, Layout.DENSE, 0);
    }

    private static void assertClose(MeanVariance got, MeanVariance expected) {
        for (int c = 0; c < expected.channels(); c++) {
            assertThat(got.mean()[c]).as("mean %d", c).isCloseTo(expected.mean()[c], within(TOL));
            assertThat(got.variance()[c]).as("variance %d", c).isCloseTo(expected.variance()[c], within(TOL));
        }
    }

    @Test
    void batchesAreTakenUntilTheCapIsReachedAndNoFurther() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, 6, 41); // 48 examples
        assertThat(batchesDrawn(net, batches, 1)).isEqualTo(1);
        assertThat(batchesDrawn(net, batches, 2 * BATCH - 1)).isEqualTo(2);
        assertThat(batchesDrawn(net, batches, 2 * BATCH)).isEqualTo(2);
        assertThat(batchesDrawn(net, batches, 2 * BATCH + 1)).isEqualTo(3);
        assertThat(batchesDrawn(net, batches, 1000)).isEqualTo(6);
        assertThatThrownBy(() -> batchesDrawn(net, batches, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("samples must be positive");
    }

    @Test
    void theStatisticsAreThoseOfTheBatchesUsedOnly() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, 6, 42);
        String first = net.bnLayers().get(0).name();
        // 20 samples: batches 1-3 (24 examples), not all six
        MeanVariance got = PreciseStatistics.estimate(net, batches.iterator(), 20, PopulationEstimator.POOLED).get(first);
        assertClose(got, pooledFirstLayer(net, batches.subList(0, 3)));
        MeanVariance all = pooledFirstLayer(net, batches);
        assertThat(Math.abs(got.mean()[0] - all.mean()[0]) + Math.abs(got.variance()[0] - all.variance()[0]))
                .as("the six-batch statistics differ, so the cap is visible").isGreaterThan(1e-4);
    }

    private static ListDataSetIterator<DataSet> dataSets(List<INDArray[]> batches, boolean resettable, int[] resets) {
        List<DataSet> ds = new ArrayList<>();
        for (INDArray[] b : batches) {
            ds.add(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        return new ListDataSetIterator<>(ds, 1) {
            @Override
            public boolean resetSupported() {
                return resettable;
            }

            @Override
            public void reset() {
                resets[0]++;
                super.reset();
            }
        };
    }

    @Test
    void recalibrateResetsAConsumedIterator() {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, 4, 43);
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.DENSE);
        int[] resets = {0};
        ListDataSetIterator<DataSet> it = dataSets(batches, true, resets);
        while (it.hasNext()) {
            it.next();
        }
        // 16 samples: the first two batches, read again from the start
        Map<String, MeanVariance> written = PreciseBn.recalibrate(net, it, 16);
        assertThat(resets[0]).isEqualTo(1);
        String first = net.bnLayers().get(0).name();
        assertClose(written.get(first), pooledFirstLayer(net, batches.subList(0, 2)));
        // what was written is what is read back (float storage: 2^-24 relative, plus log10-std round trip)
        MeanVariance stored = MovingStatistics.read(net, net.bnLayer(first));
        for (int c = 0; c < stored.channels(); c++) {
            assertThat(stored.mean()[c]).isCloseTo(written.get(first).mean()[c], within(1e-5 * (1 + Math.abs(stored.mean()[c]))));
        }
    }

    @Test
    void anIteratorThatCannotResetIsReadFromWhereItIs() {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, 4, 44);
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        int[] resets = {0};
        ListDataSetIterator<DataSet> it = dataSets(batches, false, resets);
        it.next();
        Map<String, MeanVariance> written = PreciseBn.recalibrate(net, it, 16);
        assertThat(resets[0]).isZero();
        String first = net.bnLayers().get(0).name();
        assertClose(written.get(first), pooledFirstLayer(net, batches.subList(1, 3)));
        while (it.hasNext()) {
            it.next();
        }
        assertThatThrownBy(() -> PreciseBn.recalibrate(net, it, 16)).isInstanceOf(EmptyDataException.class);
    }
}
