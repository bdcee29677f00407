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
