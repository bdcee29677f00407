package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which weights feed each BN layer, on hand-built networks of both types: layers without
 * parameters in between are looked through, a layer with parameters but no weight matrix (another
 * BN layer) ends the search with no answer, and so does the network's input.
 */
@Tag("unit")
class FeedingWeightsTest {
    @Test
    void multiLayerNetworksLookThroughParameterFreeLayersOnly() {
        // 0 dense, 1 activation, 2 dropout, 3 BN (fed by 0), 4 BN (fed by a BN: none), 5 output
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nOut(5).build())
                .layer(new ActivationLayer(Activation.TANH))
                .layer(new DropoutLayer(0.9))
                .layer(new BatchNormalization.Builder().build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(3)).build());
        mln.init();
        BnNetwork net = BnNetwork.of(mln);
        FeedingWeights f = FeedingWeights.of(net);
        assertThat(f.feedingLayerOf("layer3")).isEqualTo("0");
        assertThat(f.feedingLayerOf("layer4")).isNull();
        assertThat(f.read(net, "layer3")).hasSize(3 * 5);
        assertThat(f.read(net, "layer4")).isNull();
        assertThat(f.read(net, "layer4", new double[15])).isNull();
        double[] into = new double[15];
        assertThat(f.read(net, "layer3", into)).isSameAs(into).containsExactly(f.read(net, "layer3"));
        assertThat(f.layerOf(net, "layer4")).isNull();

        // a BN layer straight on the input
        MultiLayerNetwork first = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(3)).build());
        first.init();
        assertThat(FeedingWeights.of(BnNetwork.of(first)).feedingLayerOf("layer0")).isNull();
    }

    @Test
    void graphsFollowSingleInputsBackToAWeightMatrix() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                .addLayer("bn0", new BatchNormalization.Builder().build(), "in")
                .addLayer("dense", new DenseLayer.Builder().nOut(5).build(), "bn0")
                .addLayer("act", new ActivationLayer(Activation.TANH), "dense")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "act")
                .addLayer("bn2", new BatchNormalization.Builder().build(), "bn1")
                .addLayer("out", new OutputLayer.Builder().nOut(2).build(), "bn2")
                .setOutputs("out").setInputTypes(InputType.feedForward(3)).build());
        g.init();
        BnNetwork net = BnNetwork.of(g);
        FeedingWeights f = FeedingWeights.of(net);
        assertThat(f.feedingLayerOf("bn1")).isEqualTo("dense");
        assertThat(f.feedingLayerOf("bn2")).as("fed by another BN layer").isNull();
        assertThat(f.feedingLayerOf("bn0")).as("fed by the input").isNull();
        assertThat(f.read(net, "bn1")).hasSize(3 * 5);
        assertThat(f.read(net, "bn0")).isNull();
    }

    @Test
    void aBnLayerAfterAMergeIsFedByEveryWeightedLayerBehindItAndNothingThroughANormalisedBranch() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                .addLayer("a", new DenseLayer.Builder().nOut(4).build(), "in")
                .addLayer("b", new DenseLayer.Builder().nOut(2).build(), "in")
                .addVertex("cat", new org.deeplearning4j.nn.conf.graph.MergeVertex(), "a", "b")
                .addLayer("act", new ActivationLayer(Activation.TANH), "cat")
                .addLayer("bnCat", new BatchNormalization.Builder().build(), "act")
                .addLayer("c", new DenseLayer.Builder().nOut(6).build(), "bnCat")
                .addVertex("sum", new org.deeplearning4j.nn.conf.graph.ElementWiseVertex(
                        org.deeplearning4j.nn.conf.graph.ElementWiseVertex.Op.Add), "c", "bnCat")
                .addLayer("bnSum", new BatchNormalization.Builder().build(), "sum")
                .addVertex("sum2", new org.deeplearning4j.nn.conf.graph.ElementWiseVertex(
                        org.deeplearning4j.nn.conf.graph.ElementWiseVertex.Op.Add), "bnSum", "bnCat")
                .addLayer("bnId", new BatchNormalization.Builder().build(), "sum2")
                .addLayer("out", new OutputLayer.Builder().nOut(2).build(), "bnId")
                .setOutputs("out").setInputTypes(InputType.feedForward(3)).build());
        g.init();
        BnNetwork net = BnNetwork.of(g);
        FeedingWeights f = FeedingWeights.of(net);
        // concatenation behind an activation: both branches, in the merge's input order, no single feeding layer
        assertThat(f.feedingGroupOf("bnCat")).containsExactly("a", "b");
        assertThat(f.feedingLayerOf("bnCat")).isNull();
        double[] expected = new double[3 * 4 + 3 * 2];
        double[] wa = rowMajor(g.getLayer("a").getParam("W"));
        double[] wb = rowMajor(g.getLayer("b").getParam("W"));
        System.arraycopy(wa, 0, expected, 0, wa.length);
        System.arraycopy(wb, 0, expected, wa.length, wb.length);
        assertThat(f.read(net, "bnCat")).containsExactly(expected);
        double[] reused = new double[expected.length];
        assertThat(f.read(net, "bnCat", reused)).isSameAs(reused).containsExactly(expected);
        assertThat(f.read(net, "bnCat", new double[expected.length - 1])).hasSize(expected.length);
        // a residual sum: the weighted branch only, the normalised identity adds no weights
        assertThat(f.feedingGroupOf("bnSum")).containsExactly("c");
        assertThat(f.read(net, "bnSum")).containsExactly(rowMajor(g.getLayer("c").getParam("W")));
        // a sum of two BN outputs: no weights at all
        assertThat(f.feedingGroupOf("bnId")).isEmpty();
        assertThat(f.read(net, "bnId")).isNull();
        // the rotation of merged weights is tracked like a single layer's
        WeightSnapshotRing ring = new WeightSnapshotRing(net, 1, 4);
        ring.record(net, 1);
        // a snapshot is kept in float: angle to itself at most ~2^-24 rad (3.4e-6 degrees), bounded by 1e-4
        assertThat(java.util.Arrays.stream(ring.angles(net, "bnCat", 1)).boxed().toList()).isNotEmpty()
                .allSatisfy(a -> assertThat(a).isBetween(0.0, 1e-4));
        assertThat(java.util.Arrays.stream(ring.angles(net, "bnId", 1)).boxed().toList()).allSatisfy(a -> assertThat(a).isNaN());
    }

    /** A dense layer's [nIn, nOut] weights in C (row-major) order, by a direct double loop. */
    private static double[] rowMajor(org.nd4j.linalg.api.ndarray.INDArray w) {
        int rows = (int) w.size(0);
        int cols = (int) w.size(1);
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i * cols + j] = w.getDouble(i, j);
            }
        }
        return out;
    }
}
