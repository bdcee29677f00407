package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BnNetwork;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lints at their boundaries: the EMA window against the planned length (decay 0.5 has a window of
 * exactly 2), which of gamma and beta is left at its default, and dropout before BN in a graph.
 */
@Tag("unit")
class ConfigLintsBoundaryTest {
    private static BnNetwork mln(BatchNormalization bn) {
        MultiLayerNetwork m = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nOut(3).build()).layer(bn)
                .layer(new OutputLayer.Builder().nOut(2).build()).setInputType(InputType.feedForward(2)).build());
        m.init();
        return BnNetwork.of(m);
    }

    private static List<Lint> lints(BnNetwork net, long planned) {
        return ConfigLints.check(net, OptionalLong.of(planned));
    }

    @Test
    void theWindowLintFiresOnlyWhenTheWindowExceedsThePlannedLength() {
        BnNetwork net = mln(new BatchNormalization.Builder().decay(0.5).build());
        assertThat(lints(net, 2)).isEmpty();
        assertThat(lints(net, 3)).isEmpty();
        List<Lint> one = lints(net, 1);
        assertThat(one).extracting(Lint::rule).containsExactly(ConfigLints.WINDOW_LONGER_THAN_TRAINING);
        // window 2 > 1 planned; the prior keeps 0.5^1 at the end
        assertThat(one.get(0).message()).contains("= 2 iterations exceeds the planned 1", "keeps weight 0.50");
        assertThat(one.get(0).layer()).isEqualTo(net.bnLayers().get(0).name());
        assertThat(ConfigLints.check(net, OptionalLong.empty())).isEmpty();
    }

    @Test
    void lockedGammaBetaIsIgnoredWhenExactlyOneIsAtItsDefault() {
        assertThat(lints(mln(new BatchNormalization.Builder().lockGammaBeta(true).gamma(1).beta(0.5).build()), 1000))
                .extracting(Lint::rule).containsExactly(ConfigLints.LOCKED_GAMMA_BETA_IGNORED);
        assertThat(lints(mln(new BatchNormalization.Builder().lockGammaBeta(true).gamma(2).beta(0.5).build()), 1000))
                .isEmpty();
        assertThat(lints(mln(new BatchNormalization.Builder().lockGammaBeta(false).gamma(2).beta(0).build()), 1000))
                .isEmpty();
    }

    private static BnNetwork graph(boolean dropoutBefore) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(2))
                .addLayer("d", new DenseLayer.Builder().nOut(3).build(), "in");
        String beforeBn = "d";
        if (dropoutBefore) {
            g.addLayer("drop", new DropoutLayer(0.5), "d");
            beforeBn = "drop";
        }
        g.addLayer("bn", new BatchNormalization.Builder().decay(0.9).build(), beforeBn)
                .addLayer("out", new OutputLayer.Builder().nOut(2).build(), "bn").setOutputs("out");
        ComputationGraph cg = new ComputationGraph(g.build());
        cg.init();
        return BnNetwork.of(cg);
    }

    @Test
    void dropoutBeforeBnIsFoundInAGraph() {
        assertThat(lints(graph(true), 1000)).extracting(Lint::rule, Lint::layer)
                .containsExactly(org.assertj.core.api.Assertions.tuple(ConfigLints.DROPOUT_BEFORE_BN, "bn"));
        assertThat(lints(graph(false), 1000)).isEmpty();
    }
}
