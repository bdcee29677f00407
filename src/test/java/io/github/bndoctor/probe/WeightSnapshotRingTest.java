package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.testkit.NetworkKind;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The ring against closed-form rotations: the feeding weights are set to
 * {@code w(t) = r(t) [cos(wt) u + sin(wt) v]} with orthonormal {@code u, v} and a growing norm
 * {@code r(t)}, so the angle between {@code w(t)} and {@code w(t-a)} is exactly {@code w a}.
 */
@Tag("unit")
class WeightSnapshotRingTest {
    /** rotation speed, degrees per iteration: 390 iterations back is 156 degrees, below the 180 wrap */
    static final double OMEGA = 0.4;
    /**
     * Weights are float32 (relative rounding 2^-24 per component): cos moves by < 2e-7, the angle by
     * < 2e-7 / sin(theta) rad, under 1.2e-5 rad = 7e-4 degrees for every angle of 1 degree or more.
     */
    static final double TOL = 1e-3;

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void anglesAtAgesAreTheClosedFormRotation(NetworkKind kind) {
        BnNetwork net = ProbeFixtures.net(kind, Layout.DENSE);
        String bn = net.bnLayers().get(0).name();
        WeightSnapshotRing ring = new WeightSnapshotRing(net, 10, 40);
        INDArray w = feedingWeights(net, ring.feeding().feedingLayerOf(bn));
        int recorded = 0;
        for (int t = 0; t <= 400; t++) {
            setRotated(w, t);
            recorded += ring.record(net, t) ? 1 : 0;
        }
        assertThat(recorded).isEqualTo(41); // 0, 10, ..., 400
        assertThat(ring.size()).isEqualTo(40); // the oldest (t = 0) was overwritten
        assertThat(ring.ages(400)).startsWith(0L, 10L).endsWith(380L, 390L);

        assertThat(ring.angleDegrees(net, bn, 400, 0)).isCloseTo(0, within(TOL));
        assertThat(ring.angleDegrees(net, bn, 400, 330)).isCloseTo(OMEGA * 330, within(TOL));
        // between snapshots 330 and 340: linear interpolation is exact for a steady rotation
        assertThat(ring.angleDegrees(net, bn, 400, 335)).isCloseTo(OMEGA * 335, within(TOL));
        // decay 0.99: mean age 0.99/0.01 = 99 iterations
        assertThat(ring.lagAngleDegrees(net, bn, 400, 0.99)).isCloseTo(OMEGA * 99, within(TOL));
        double[] all = ring.angles(net, bn, 400);
        assertThat(all).hasSize(40);
        assertThat(all[39]).isCloseTo(OMEGA * 390, within(TOL));

        // five iterations later, no new snapshot: ages 5, 15, ..., 395
        setRotated(w, 405);
        assertThat(ring.record(net, 405)).isFalse();
        // below the youngest snapshot: between the current weights (angle 0) and age 5
        assertThat(ring.angleDegrees(net, bn, 405, 3)).isCloseTo(OMEGA * 3, within(TOL));
        // the oldest snapshot's age: at, below, above
        assertThat(ring.angleDegrees(net, bn, 405, 395)).isCloseTo(OMEGA * 395, within(TOL));
        assertThat(ring.angleDegrees(net, bn, 405, 394.5)).isCloseTo(OMEGA * 394.5, within(TOL));
        assertThat(ring.angleDegrees(net, bn, 405, 395.5)).isNaN();
        // decay 0.9975: mean age 399 is beyond the history
        assertThat(ring.lagAngleDegrees(net, bn, 405, 0.9975)).isNaN();
    }

    @Test
    void capacityCoversTheMeanAge() {
        // 0.997/0.003 = 332.3 iterations: 34 intervals of 10 reach 340, plus the current snapshot
        assertThat(WeightSnapshotRing.capacityFor(0.997, 10)).isEqualTo(35);
        // 0.9/0.1 = 9: one interval of 10, plus one
        assertThat(WeightSnapshotRing.capacityFor(0.9, 10)).isEqualTo(2);
        assertThat(WeightSnapshotRing.capacityFor(0, 10)).isEqualTo(1);
        assertThat(WeightSnapshotRing.capacityFor(0.9999999, 1)).isEqualTo(WeightSnapshotRing.MAX_CAPACITY);
        assertThat(WeightSnapshotRing.meanAge(0.75)).isCloseTo(3, within(1e-12));
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.DENSE); // decay 0.9 everywhere
        assertThat(WeightSnapshotRing.covering(net, 10).capacity()).isEqualTo(2);
        assertThat(WeightSnapshotRing.covering(net, 1).capacity()).isEqualTo(10);
    }

    @Test
    void badArgumentsAreRejected() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        assertThatThrownBy(() -> new WeightSnapshotRing(net, 0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightSnapshotRing(net, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightSnapshotRing(net, 1, WeightSnapshotRing.MAX_CAPACITY + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new WeightSnapshotRing(net, 1, WeightSnapshotRing.MAX_CAPACITY).capacity())
                .isEqualTo(WeightSnapshotRing.MAX_CAPACITY);
        // the lower bounds are inclusive: one snapshot, taken every iteration
        assertThat(new WeightSnapshotRing(net, 1, 1).capacity()).isEqualTo(1);
        assertThatThrownBy(() -> WeightSnapshotRing.capacityFor(0.9, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("snapshot interval must be >= 1");
        assertThat(WeightSnapshotRing.capacityFor(0.9, 1)).isEqualTo(10);
        assertThatThrownBy(() -> WeightSnapshotRing.meanAge(1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WeightSnapshotRing.meanAge(-0.1)).isInstanceOf(IllegalArgumentException.class);
        WeightSnapshotRing ring = new WeightSnapshotRing(net, 10, 5);
        String bn = net.bnLayers().get(0).name();
        assertThat(ring.angleDegrees(net, bn, 0, 0)).isNaN(); // no history yet
        ring.record(net, 20);
        assertThatThrownBy(() -> ring.angleDegrees(net, bn, 19, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ring.angleDegrees(net, bn, 20, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ring.angleDegrees(net, "no-such-layer", 20, 0)).isNaN();
    }

    @Test
    void aCounterGoingBackClearsTheHistory() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        WeightSnapshotRing ring = new WeightSnapshotRing(net, 10, 5);
        for (int t = 0; t <= 40; t += 10) {
            ring.record(net, t);
        }
        assertThat(ring.size()).isEqualTo(5);
        assertThat(ring.record(net, 3)).isTrue();
        assertThat(ring.size()).isEqualTo(1);
        assertThat(ring.ages(3)).containsExactly(0L);
    }

    /** {@code u = (1,1,1,1,0,0,0,0)/2} and {@code v = (0,0,0,0,1,-1,1,-1)/2} are orthonormal by inspection. */
    private static void setRotated(INDArray w, int t) {
        assertThat(w.length()).isEqualTo(8);
        double r = 1 + 0.01 * t; // the norm grows: BN ignores it, so must the angle
        double c = r * Math.cos(Math.toRadians(OMEGA * t)) / 2;
        double s = r * Math.sin(Math.toRadians(OMEGA * t)) / 2;
        double[] values = {c, c, c, c, s, -s, s, -s};
        w.assign(Nd4j.create(values, w.shape(), w.dataType()));
    }

    private static INDArray feedingWeights(BnNetwork net, String name) {
        if (net.model() instanceof ComputationGraph g) {
            return g.getLayer(name).getParam("W");
        }
        return ((MultiLayerNetwork) net.model()).getLayer(Integer.parseInt(name)).getParam("W");
    }

    /** Sets the weights at angle {@code thetaDeg} from {@code u} in the (u, v) plane, unit norm. */
    private static void setAngle(INDArray w, double thetaDeg) {
        double c = Math.cos(Math.toRadians(thetaDeg)) / 2;
        double s = Math.sin(Math.toRadians(thetaDeg)) / 2;
        w.assign(Nd4j.create(new double[] {c, c, c, c, s, -s, s, -s}, w.shape(), w.dataType()));
    }

    @Test
    void anUnevenRotationIsInterpolatedBetweenTheSnapshotsAroundTheAge() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        String bn = net.bnLayers().get(0).name();
        WeightSnapshotRing ring = new WeightSnapshotRing(net, 10, 5);
        INDArray w = feedingWeights(net, ring.feeding().feedingLayerOf(bn));
        // theta(t) = t^2 / 100 degrees: snapshots at 0, 10, 20, 30 hold 0, 1, 4, 9 degrees
        for (int t = 0; t <= 30; t += 10) {
            setAngle(w, t * t / 100.0);
            assertThat(ring.record(net, t)).isTrue();
        }
        // the same iteration again is no new snapshot and no reset
        assertThat(ring.record(net, 30)).isFalse();
        assertThat(ring.size()).isEqualTo(4);
        assertThat(ring.every()).isEqualTo(10);
        setAngle(w, 35 * 35 / 100.0); // now 12.25 degrees, iteration 35: ages 5, 15, 25, 35
        // age 10 lies between the snapshots of age 5 (angle 12.25 - 9 = 3.25) and 15 (12.25 - 4 = 8.25):
        // 3.25 + (8.25 - 3.25) * (10 - 5) / (15 - 5) = 5.75 (a line from the current weights would say 5.5)
        assertThat(ring.angleDegrees(net, bn, 35, 10)).isCloseTo(5.75, within(TOL));
        // at a snapshot's own age, its angle; at the oldest one's, the oldest angle
        assertThat(ring.angleDegrees(net, bn, 35, 15)).isCloseTo(8.25, within(TOL));
        assertThat(ring.angleDegrees(net, bn, 35, 35)).isCloseTo(12.25, within(TOL));
        assertThat(ring.angleDegrees(net, bn, 35, 35.5)).isNaN();
        // below the youngest: from the current weights (0) to age 5 (3.25)
        assertThat(ring.angleDegrees(net, bn, 35, 2)).isCloseTo(3.25 * 2 / 5, within(TOL));
        assertThat(ring.angles(net, bn, 35)).hasSize(4);
        assertThat(ring.angles(net, bn, 35)[3]).isCloseTo(12.25, within(TOL));
        // a layer without feeding weights: one NaN per snapshot; an iteration before the newest snapshot
        assertThat(ring.angles(net, "no-such-layer", 35)).hasSize(4).containsOnly(Double.NaN);
        assertThatThrownBy(() -> ring.angles(net, bn, 29)).isInstanceOf(IllegalArgumentException.class);
        // the lazy profile: the same angles, one by one
        double[] eager = ring.angles(net, bn, 35);
        java.util.function.IntToDoubleFunction lazy = ring.angleOf(net, bn, 35);
        for (int k = 0; k < eager.length; k++) {
            assertThat(lazy.applyAsDouble(k)).isEqualTo(eager[k]);
        }
        assertThat(ring.angleOf(net, "no-such-layer", 35).applyAsDouble(0)).isNaN();
        assertThatThrownBy(() -> ring.angleOf(net, bn, 29)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFrozenLayerDoesNotSetTheRingsReach() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.DENSE); // decay 0.9: mean age 9
        net.setDecay(net.bnLayers().get(1), 1);
        // one interval of 10 reaches age 9, plus the current snapshot; the frozen layer is ignored
        assertThat(WeightSnapshotRing.covering(net, 10).capacity()).isEqualTo(2);
    }
}
