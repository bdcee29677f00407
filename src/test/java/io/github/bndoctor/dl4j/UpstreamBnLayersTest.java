package io.github.bndoctor.dl4j;

import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BnNetwork#upstreamBnLayers}: in a chain every earlier BN layer, in a graph only the BN
 * layers the input is computed from (expected sets read off the networks as built here).
 */
@Tag("unit")
class UpstreamBnLayersTest {
    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void inAChainEveryEarlierBnLayerIsUpstream(NetworkKind kind) {
        BnNetwork net = TinyBnNetworks.twoBlocks(kind, Layout.DENSE, 2, 3, 1, 0.9, VarianceParameterisation.VAR,
                new Sgd(0.1), 3);
        BnLayerRef first = net.bnLayers().get(0);
        BnLayerRef second = net.bnLayers().get(1);
        assertThat(net.upstreamBnLayers(first)).isEmpty();
        assertThat(net.upstreamBnLayers(second)).containsExactly(first.name());
    }

    @Test
    void aParallelBranchIsNotUpstream() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(1).updater(new Sgd(0.1))
                .graphBuilder().addInputs("in")
                .addLayer("denseA", new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.IDENTITY).build(), "in")
                .addLayer("bnA", new BatchNormalization.Builder().nOut(3).build(), "denseA")
                .addLayer("denseB", new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.IDENTITY).build(), "in")
                .addLayer("bnB", new BatchNormalization.Builder().nOut(3).build(), "denseB")
                .addLayer("denseB2", new DenseLayer.Builder().nIn(3).nOut(3).activation(Activation.IDENTITY).build(), "bnB")
                .addLayer("bnB2", new BatchNormalization.Builder().nOut(3).build(), "denseB2")
                .addVertex("merge", new MergeVertex(), "bnA", "bnB2")
                .addLayer("denseC", new DenseLayer.Builder().nIn(6).nOut(3).activation(Activation.IDENTITY).build(), "merge")
                .addLayer("bnC", new BatchNormalization.Builder().nOut(3).build(), "denseC")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(1)
                        .activation(Activation.IDENTITY).build(), "bnC")
                .setOutputs("out").build());
        g.init();
        BnNetwork net = BnNetwork.of(g);
        assertThat(net.upstreamBnLayers(net.bnLayer("bnA"))).isEmpty();
        assertThat(net.upstreamBnLayers(net.bnLayer("bnB"))).isEmpty();
        // bnA comes before bnB2 in forward order (or may), yet it is on another branch
        assertThat(net.upstreamBnLayers(net.bnLayer("bnB2"))).containsExactly("bnB");
        assertThat(net.upstreamBnLayers(net.bnLayer("bnC"))).containsExactlyInAnyOrder("bnA", "bnB", "bnB2");
    }
}
