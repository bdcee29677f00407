package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.stats.BatchedMoments;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Moments gathered in parts and combined equal the moments gathered in one pass (what a distributed
 * run relies on): the empty instance is the identity on both sides, counts add up, and the pooled
 * estimate matches the one-pass estimate and the direct double loop over the BN inputs.
 */
@Tag("unit")
class NetworkMomentsTest {
    @Test
    void combiningPartsEqualsOnePassAndTheEmptyPartIsTheIdentity() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, 4, 3);
        NetworkMoments whole = NetworkMoments.empty();
        for (INDArray[] b : batches) {
            whole = whole.add(net, b);
        }
        NetworkMoments left = NetworkMoments.empty().add(net, batches.get(0)).add(net, batches.get(1));
        NetworkMoments right = NetworkMoments.empty().add(net, batches.get(2)).add(net, batches.get(3));

        assertThat(left.combine(NetworkMoments.empty())).isSameAs(left);
        assertThat(NetworkMoments.empty().combine(right)).isSameAs(right);
        assertThat(NetworkMoments.empty().examples()).isZero();
        assertThat(NetworkMoments.empty().layers()).isEmpty();

        NetworkMoments both = left.combine(right);
        assertThat(both.examples()).isEqualTo(32).isEqualTo(whole.examples());
        assertThat(both.layers().keySet()).containsExactlyElementsOf(whole.layers().keySet()).hasSize(2);
        for (Map.Entry<String, BatchedMoments> e : both.layers().entrySet()) {
            BatchedMoments w = whole.layers().get(e.getKey());
            assertThat(e.getValue().batches()).isEqualTo(4);
            assertThat(e.getValue().count()).isEqualTo(w.count());
        }
        Map<String, MeanVariance> combined = both.estimate(PopulationEstimator.POOLED);
        Map<String, MeanVariance> onePass = whole.estimate(PopulationEstimator.POOLED);
        int li = 0;
        for (String name : onePass.keySet()) {
            // independent route: the BN layer's inputs over all 32 examples, mean and biased variance in doubles
            MeanVariance direct = ProbeFixtures.pooledBnInput(net, batches, Layout.DENSE, li);
            double[] m = combined.get(name).mean();
            double[] v = combined.get(name).variance();
            for (int c = 0; c < m.length; c++) {
                // Chan's pairwise update vs sequential adds: a few roundings of values of order 1-10
                assertThat(m[c]).isCloseTo(onePass.get(name).mean()[c], within(1e-12));
                assertThat(v[c]).isCloseTo(onePass.get(name).variance()[c], within(1e-12));
                // float activations read back in double: 1e-5 relative covers the float32 forward pass
                assertThat(m[c]).isCloseTo(direct.mean()[c], within(1e-5 * Math.max(1, Math.abs(direct.mean()[c]))));
                assertThat(v[c]).isCloseTo(direct.variance()[c], within(1e-5 * Math.max(1, direct.variance()[c])));
            }
            li++;
        }
        assertThatThrownBy(() -> NetworkMoments.empty().estimate(PopulationEstimator.POOLED))
                .isInstanceOf(EmptyDataException.class);
    }
}
