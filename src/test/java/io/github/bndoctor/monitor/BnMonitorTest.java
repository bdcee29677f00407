package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.testkit.NetworkKind;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import io.github.bndoctor.stats.Median;

import java.util.List;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The monitor in a real DL4J training loop: it leaves the trajectory bit-identical to an
 * unmonitored run (even with dropout, whose masks come from the shared random stream), records
 * checkpoints every K iterations, and stops {@code fit} at the first FAIL.
 */
@Tag("unit")
class BnMonitorTest {
    static final int ITERATIONS = 24;
    static final int EVERY = 6;

    /** Dense, dropout, BN, output: dropout makes any random number drawn by a probe visible. */
    private static BnNetwork withDropout() {
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(1e-2))
                .list()
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(6).dropOut(0.7).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(6).decay(0.9).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(2)).build());
        mln.init();
        return BnNetwork.of(mln);
    }

    private static void train(BnNetwork net, List<INDArray[]> batches) {
        Nd4j.getRandom().setSeed(77);
        for (INDArray[] b : batches) {
            net.fit(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
    }

    private static BnMonitor monitor(List<INDArray[]> precise, INDArray probe) {
        return BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(EVERY).failFast(false)
                .preciseData(() -> precise.iterator()).build();
    }

    @Test
    void monitoredTrainingFollowsTheUnmonitoredTrajectoryExactly() {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, ITERATIONS, 8);
        List<INDArray[]> precise = ProbeFixtures.batches(Layout.DENSE, 4, 9);
        INDArray probe = ProbeFixtures.batches(Layout.DENSE, 1, 10).get(0)[0];

        BnNetwork plain = withDropout();
        train(plain, batches);

        BnNetwork monitored = withDropout();
        BnMonitor m = monitor(precise, probe);
        ((MultiLayerNetwork) monitored.model()).addListeners(m);
        train(monitored, batches);

        assertThat(m.checkpoints()).extracting(Checkpoint::iteration).containsExactly(6L, 12L, 18L, 24L);
        assertThat(monitored).hasParametersIdenticalTo(ParameterSnapshot.of(plain));
        assertThat(m.checkpoints().get(1).layers().get(0).rotationDegPerIter()).isGreaterThan(0);
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void bothNetworkTypesKeepTheirTrajectory(NetworkKind kind) {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.NHWC, 12, 8);
        List<INDArray[]> precise = ProbeFixtures.batches(Layout.NHWC, 2, 9);
        INDArray probe = ProbeFixtures.batches(Layout.NHWC, 1, 10).get(0)[0];
        BnNetwork plain = ProbeFixtures.net(kind, Layout.NHWC);
        train(plain, batches);
        BnNetwork monitored = ProbeFixtures.net(kind, Layout.NHWC);
        BnMonitor m = monitor(precise, probe);
        monitored.model().setListeners(m);
        train(monitored, batches);
        assertThat(m.checkpoints()).hasSize(2);
        assertThat(monitored).hasParametersIdenticalTo(ParameterSnapshot.of(plain));
    }

    @Test
    void aFailAlarmStopsFitWithLayerIterationMetricAndThreshold() {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, ITERATIONS, 8);
        List<INDArray[]> precise = ProbeFixtures.batches(Layout.DENSE, 4, 9);
        INDArray probe = ProbeFixtures.batches(Layout.DENSE, 1, 10).get(0)[0];
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        // any rotation at all fails this policy
        AlarmPolicy strict = new AlarmPolicy(Threshold.warnOnly(Double.POSITIVE_INFINITY),
                Threshold.warnOnly(Double.POSITIVE_INFINITY), new Threshold(0, 0));
        BnMonitor m = BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(EVERY).policy(strict)
                .preciseData(() -> precise.iterator()).build();
        net.model().setListeners(m);
        assertThatThrownBy(() -> train(net, batches)).isInstanceOf(BnGateFailure.class)
                .hasMessageContaining("iteration 6").hasMessageContaining("predictedLag")
                .hasMessageContaining("threshold 0").hasMessageContaining("layer '");
        assertThat(net.iterationCount()).isEqualTo(5);
        assertThat(m.alarms()).first().extracting(Alarm::level).isEqualTo(AlarmLevel.FAIL);
    }

    /**
     * The free signal's alarm is confirmed by a checkpoint at once, at most once per window; the
     * trajectory stays that of an unmonitored run; a threshold never crossed adds nothing.
     */
    @Test
    void freeLagAlarmsAreConfirmedByAnImmediateCheckpoint() {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, ITERATIONS, 8);
        List<INDArray[]> precise = ProbeFixtures.batches(Layout.DENSE, 4, 9);
        INDArray probe = ProbeFixtures.batches(Layout.DENSE, 1, 10).get(0)[0];
        BnNetwork plain = withDropout();
        train(plain, batches);

        BnNetwork watched = withDropout();
        // threshold 0: every reading crosses it; window 5 and a reading every 4 iterations
        // (BatchStatisticsFromUpdates.DEFAULT_READ_EVERY): the first at 8, then one per window at the
        // next reading (16, 24)
        BnMonitor m = BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(1000).failFast(false)
                .confirmLagAbove(0).freeSignalWindow(5).confirmationBudget(3).preciseData(() -> precise.iterator()).build();
        watched.model().setListeners(m);
        train(watched, batches);
        assertThat(BatchStatisticsFromUpdates.DEFAULT_READ_EVERY).isEqualTo(4);
        assertThat(m.checkpoints()).extracting(Checkpoint::iteration).containsExactly(8L, 16L, 24L);
        assertThat(m.alarms()).filteredOn(a -> a.metric().equals(BnMonitor.FREE_LAG))
                .extracting(Alarm::iteration).containsExactly(8L, 16L, 24L);
        assertThat(m.alarms()).filteredOn(a -> a.metric().equals(BnMonitor.FREE_LAG))
                .allMatch(a -> a.level() == AlarmLevel.WARN && a.value() > 0);
        assertThat(watched).hasParametersIdenticalTo(ParameterSnapshot.of(plain));

        BnNetwork quiet = withDropout();
        BnMonitor q = BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(1000).failFast(false)
                .confirmLagAbove(1e9).freeSignalWindow(5).preciseData(() -> precise.iterator()).build();
        quiet.model().setListeners(q);
        train(quiet, batches);
        assertThat(q.checkpoints()).isEmpty();
        assertThat(q.freeSignal().latest().iteration()).isEqualTo(ITERATIONS);
        assertThatThrownBy(() -> BnMonitor.builder(probe, probe).confirmLagAbove(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** The measured lag angle at a checkpoint against weights kept here, iteration by iteration. */
    @Test
    void checkpointsCarryTheMeasuredLagAngleAtTheEmasMeanAge() {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, 40, 8);
        List<INDArray[]> precise = ProbeFixtures.batches(Layout.DENSE, 4, 9);
        INDArray probe = ProbeFixtures.batches(Layout.DENSE, 1, 10).get(0)[0];
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE); // decay 0.9: mean age 9
        BnMonitor m = BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(20).failFast(false)
                .preciseData(() -> precise.iterator()).build();
        net.model().setListeners(m);
        java.util.Map<Integer, double[]> feeding = new java.util.HashMap<>();
        Nd4j.getRandom().setSeed(77);
        for (int i = 0; i < batches.size(); i++) {
            net.fit(new DataSet(batches.get(i)[0], ProbeFixtures.labels(batches.get(i)[0], 0)));
            // layer 0 (dense) feeds BN layer 1
            feeding.put(i + 1, ((MultiLayerNetwork) net.model()).getLayer(0).getParam("W").dup()
                    .castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).data().asDouble());
        }
        Checkpoint c = m.checkpoints().get(1);
        assertThat(c.iteration()).isEqualTo(40);
        // snapshots every 10 iterations: age 9 lies between the current weights (age 0, angle 0) and
        // the snapshot at 30 (age 10): 9/10 of the angle between W(40) and W(30), both taken here
        double expected = 0.9 * io.github.bndoctor.probe.RotationTracker.angleDegrees(feeding.get(40), feeding.get(30));
        double measured = c.layers().get(0).measuredLag();
        // the angle formula is RotationTracker's (checked on closed forms in its own test); the snapshot is
        // stored in float, which changes the weights' direction by ~2^-24 rad, far below 1e-4 degrees
        assertThat(measured).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-4)).isPositive();
        assertThat(c.medianMeasuredLag()).isCloseTo(Median.of(c.layers().stream()
                .mapToDouble(l -> l.measuredLag()).toArray()), org.assertj.core.api.Assertions.within(0.0));
        // single-step prediction next to it
        assertThat(c.layers().get(0).predictedLag()).isPositive();

        BnNetwork off = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        BnMonitor noRing = BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(20).failFast(false)
                .measureLagAngle(false).preciseData(() -> precise.iterator()).build();
        off.model().setListeners(noRing);
        train(off, batches);
        assertThat(noRing.checkpoints().get(1).layers().get(0).measuredLag()).isNaN();
        assertThat(noRing.checkpoints().get(1).layers().get(0).predictedLag()).isPositive();
    }

    @Test
    void thresholdsAreValidated() {
        assertThatThrownBy(() -> new Threshold(2, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BnMonitor.builder(Nd4j.zeros(1, 2), Nd4j.zeros(1, 2)).every(1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new Threshold(1, 3).levelOf(2)).isEqualTo(AlarmLevel.WARN);
        assertThat(new Threshold(1, 3).levelOf(4)).isEqualTo(AlarmLevel.FAIL);
        assertThat(new Threshold(1, 3).levelOf(0.5)).isNull();
    }
}
