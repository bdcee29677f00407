package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The monitor and the free signal tell a cold EMA (DL4J's initial mean 0 / variance 1, a prior
 * whose weight is {@code d^n}) from warm-started or previously trained statistics (no prior) by
 * what the network holds before the first update they see, without being told.
 */
@Tag("unit")
class BnMonitorPriorDetectionTest {
    static final int EVERY = 4;
    static final double DECAY = 0.9;

    private static BnNetwork net() {
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5).updater(new Adam(1e-2))
                .list()
                .layer(new DenseLayer.Builder().nOut(5).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(5).decay(DECAY).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(2)).build());
        mln.init();
        return BnNetwork.of(mln);
    }

    private static BnMonitor attach(BnNetwork net, List<INDArray[]> precise, INDArray probe) {
        BnMonitor m = BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(EVERY).failFast(false)
                .confirmLagAbove(Double.MAX_VALUE).freeSignalWindow(2).preciseData(precise::iterator).build();
        ((MultiLayerNetwork) net.model()).addListeners(m);
        return m;
    }

    private static void train(BnNetwork net, List<INDArray[]> batches) {
        for (INDArray[] b : batches) {
            net.fit(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
    }

    @Test
    void aColdNetworkCarriesThePriorAndAWarmStartedOrTrainedOneDoesNot() {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.DENSE, 2 * EVERY, 8);
        List<INDArray[]> precise = ProbeFixtures.batches(Layout.DENSE, 2, 9);
        INDArray probe = ProbeFixtures.batches(Layout.DENSE, 1, 10).get(0)[0];

        BnNetwork cold = net();
        BnLayerRef ref = cold.bnLayers().get(0);
        assertThat(MovingStatistics.holdsInitialValues(cold, ref)).isTrue();
        BnMonitor coldMonitor = attach(cold, precise, probe);
        assertThat(coldMonitor.priorPresent()).as("before any update seen: not declared warm-started").isTrue();
        train(cold, batches);
        assertThat(coldMonitor.priorPresent()).isTrue();
        Checkpoint last = coldMonitor.checkpoints().get(coldMonitor.checkpoints().size() - 1);
        // d^n after n = 2 EVERY updates at a fixed decay: a direct power, one rounding per factor
        assertThat(last.layers().get(0).decomposition().priorWeight())
                .isCloseTo(Math.pow(DECAY, 2 * EVERY), within(1e-12));
        assertThat(coldMonitor.freeSignal().latest().layers().get(0).priorWeight())
                .isCloseTo(Math.pow(DECAY, 2 * EVERY), within(1e-12));

        // one channel away from the initial values is enough to be warm-started
        BnNetwork warm = net();
        double[] mean = new double[5];
        double[] var = new double[5];
        Arrays.fill(var, 1);
        mean[3] = 1e-3;
        MovingStatistics.write(warm, warm.bnLayers().get(0), new MeanVariance(mean, var));
        assertThat(MovingStatistics.holdsInitialValues(warm, warm.bnLayers().get(0))).isFalse();
        BnMonitor warmMonitor = attach(warm, precise, probe);
        train(warm, batches);
        assertThat(warmMonitor.priorPresent()).isFalse();
        assertThat(warmMonitor.checkpoints()).allSatisfy(c -> assertThat(c.layers().get(0).decomposition().priorWeight())
                .isZero());
        assertThat(warmMonitor.freeSignal().latest().layers().get(0).priorWeight()).isZero();

        // a network that trained before the monitor was attached: its statistics are no prior either
        BnNetwork trained = net();
        train(trained, batches.subList(0, 1));
        BnMonitor lateMonitor = attach(trained, precise, probe);
        train(trained, batches);
        assertThat(lateMonitor.priorPresent()).isFalse();

        // declared warm-started: no prior, whatever the network holds
        BnNetwork declared = net();
        BnMonitor declaredMonitor = BnMonitor.builder(probe, ProbeFixtures.labels(probe, 0)).every(EVERY).failFast(false)
                .warmStarted().preciseData(precise::iterator).build();
        ((MultiLayerNetwork) declared.model()).addListeners(declaredMonitor);
        assertThat(declaredMonitor.priorPresent()).isFalse();
        train(declared, batches);
        assertThat(declaredMonitor.priorPresent()).isFalse();
    }
}
