package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Rotation of the weights feeding BN: zero under rescaling, the true angle under a rotation. */
@Tag("unit")
class RotationTrackerTest {

    @Test
    void angleOfKnownVectors() {
        assertThat(RotationTracker.angleDegrees(new double[] {1, 0}, new double[] {0, 3})).isCloseTo(90, within(1e-12));
        assertThat(RotationTracker.angleDegrees(new double[] {1, 1}, new double[] {2, 2})).isCloseTo(0, within(1e-6));
        assertThat(RotationTracker.predictedLag(0.01, 0.997)).isCloseTo(0.01 * 0.997 / 0.003, within(1e-12));
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void rescalingIsNotRotationButSwappingFiltersIs(NetworkKind kind) {
        BnNetwork net = ProbeFixtures.net(kind, Layout.DENSE);
        RotationTracker tracker = new RotationTracker(net);
        BnLayerRef first = net.bnLayers().get(0);
        String feeding = tracker.feedingLayerOf(first.name());
        assertThat(feeding).isNotNull();
        assertThat(tracker.update(net, 0).get(first.name())).isNaN();
        INDArray w = weights(net, feeding);
        w.muli(3); // BN makes the output invariant to this
        assertThat(tracker.update(net, 10).get(first.name())).isCloseTo(0, within(1e-3));
        double[] before = w.dup().data().asDouble();
        w.negi(); // a 180 degree turn over 5 iterations
        Map<String, Double> rot = tracker.update(net, 15);
        assertThat(rot.get(first.name())).isCloseTo(180.0 / 5, within(1e-3));
        assertThat(before).hasSize((int) w.length());
    }

    private static INDArray weights(BnNetwork net, String name) {
        if (net.model() instanceof org.deeplearning4j.nn.graph.ComputationGraph g) {
            return g.getLayer(name).getParam("W");
        }
        return ((org.deeplearning4j.nn.multilayer.MultiLayerNetwork) net.model()).getLayer(Integer.parseInt(name))
                .getParam("W");
    }
}
