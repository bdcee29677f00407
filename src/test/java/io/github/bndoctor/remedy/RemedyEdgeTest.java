package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.NoBatchNormException;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.NetworkKind;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Writing statistics needs one per BN layer (a missing one changes nothing), and a warm start returns
 * the statistics it wrote, which are then the network's (float storage: 1e-6 relative).
 */
@Tag("unit")
class RemedyEdgeTest {
    @Test
    void writingNeedsStatisticsForEveryLayerAndChangesNothingOtherwise() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.DENSE);
        Map<String, MeanVariance> before = MovingStatistics.readAll(net);
        Map<String, MeanVariance> partial = new LinkedHashMap<>();
        String first = net.bnLayers().get(0).name();
        partial.put(first, new MeanVariance(new double[] {1, 1, 1, 1}, new double[] {2, 2, 2, 2}));
        assertThatThrownBy(() -> PreciseBn.write(net, partial)).isInstanceOf(NoBatchNormException.class)
                .hasMessageContaining("no statistics for BN layer '" + net.bnLayers().get(1).name() + "'");
        assertThat(MovingStatistics.readAll(net).get(first).mean()).containsExactly(before.get(first).mean());
    }

    @Test
    void aWarmStartReturnsWhatItWrote() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        List<DataSet> data = new ArrayList<>();
        for (INDArray[] x : ProbeFixtures.batches(Layout.DENSE, 2, 6)) {
            data.add(new DataSet(x[0], ProbeFixtures.labels(x[0], 0)));
        }
        Map<String, MeanVariance> written = WarmStart.apply(net, new ExistingDataSetIterator(data), 16);
        assertThat(written.keySet()).containsExactlyElementsOf(MovingStatistics.readAll(net).keySet());
        for (Map.Entry<String, MeanVariance> e : written.entrySet()) {
            double[] stored = MovingStatistics.readAll(net).get(e.getKey()).variance();
            for (int c = 0; c < stored.length; c++) {
                assertThat(stored[c]).isCloseTo(e.getValue().variance()[c], within(1e-6 * e.getValue().variance()[c]));
            }
        }
    }
}
