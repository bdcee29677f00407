package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.Tolerance;
import org.assertj.core.api.AbstractAssert;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/** AssertJ assertions on a network's BN layers; start from {@link BnAssertions#assertThat}. */
public final class BnNetworkAssert extends AbstractAssert<BnNetworkAssert, BnNetwork> {

    BnNetworkAssert(BnNetwork actual) {
        super(actual, BnNetworkAssert.class);
    }

    /**
     * @param expected expected number of BN layers
     * @return this
     */
    public BnNetworkAssert hasBatchNormLayers(int expected) {
        isNotNull();
        if (actual.bnLayers().size() != expected) {
            failWithMessage("expected %d BatchNormalization layers but found %d: %s", expected,
                    actual.bnLayers().size(), actual.bnLayers().stream().map(BnLayerRef::name).toList());
        }
        return this;
    }

    /**
     * @param name a BN layer's name
     * @return assertions on that layer
     */
    public BnLayerAssert layer(String name) {
        isNotNull();
        return new BnLayerAssert(actual, actual.bnLayer(name));
    }

    /**
     * Every named layer's moving statistics match the expected ones within the tolerance.
     *
     * @param expected statistics by BN layer name
     * @param tolerance for means and variances
     * @return this
     */
    public BnNetworkAssert hasMovingStatisticsCloseTo(Map<String, MeanVariance> expected, Tolerance tolerance) {
        isNotNull();
        expected.forEach((name, stats) -> layer(name).hasMovingStatisticsCloseTo(stats, tolerance));
        return this;
    }

    /**
     * All parameters (weights, gamma, beta and moving statistics) are bit-identical to a snapshot.
     *
     * @param before the snapshot
     * @return this
     */
    public BnNetworkAssert hasParametersIdenticalTo(ParameterSnapshot before) {
        isNotNull();
        ParameterSnapshot now = ParameterSnapshot.of(actual);
        if (!now.isIdenticalTo(before)) {
            failWithMessage("expected parameters bit-identical to the snapshot, but parameter %d of %d differs",
                    now.firstDifference(before), before.size());
        }
        return this;
    }

    /**
     * The train/inference gap on a probe batch of the user's own data.
     *
     * @param features probe inputs (held-out data is best)
     * @param labels probe labels
     * @return assertions on the gap
     */
    public BnProbeAssert onProbe(INDArray features, INDArray labels) {
        isNotNull();
        return new BnProbeAssert(actual, new INDArray[] {features}, new INDArray[] {labels});
    }

    /**
     * The train/inference gap on a probe of a multi-input or multi-output graph.
     *
     * @param features probe inputs, one per network input
     * @param labels probe labels, one per network output
     * @return assertions on the gap
     */
    public BnProbeAssert onProbe(INDArray[] features, INDArray[] labels) {
        isNotNull();
        return new BnProbeAssert(actual, features, labels);
    }

    /** @return the moving statistics of every BN layer, for further checks */
    public Map<String, MeanVariance> movingStatistics() {
        return MovingStatistics.readAll(actual);
    }
}
