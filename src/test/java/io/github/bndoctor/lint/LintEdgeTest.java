package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BnNetwork;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Lints and closed forms at their edges: a BN layer first in a network (nothing before it), a
 * dropout layer feeding BN in a graph, and the equilibrium formulas' argument checks at 0, below 0
 * and at infinity.
 */
@Tag("unit")
class LintEdgeTest {
    private static List<String> rules(BnNetwork net) {
        return ConfigLints.check(net, OptionalLong.empty()).stream().map(Lint::rule).toList();
    }

    @Test
    void aBnLayerFirstHasNoPredecessorAndAGraphDropoutLayerIsOne() {
        MultiLayerNetwork first = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(3)).build());
        first.init();
        assertThat(rules(BnNetwork.of(first))).doesNotContain(ConfigLints.DROPOUT_BEFORE_BN);

        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nOut(4).build(), "in")
                .addLayer("drop", new DropoutLayer(0.8), "dense")
                .addLayer("bn", new BatchNormalization.Builder().build(), "drop")
                .addLayer("bn2", new BatchNormalization.Builder().build(), "dense")
                .addLayer("bn3", new BatchNormalization.Builder().build(), "in")
                .addLayer("out", new OutputLayer.Builder().nOut(2).build(), "bn", "bn2", "bn3")
                .setOutputs("out").setInputTypes(InputType.feedForward(3)).build());
        g.init();
        List<Lint> lints = ConfigLints.check(BnNetwork.of(g), OptionalLong.empty());
        assertThat(lints).filteredOn(l -> l.rule().equals(ConfigLints.DROPOUT_BEFORE_BN)).extracting(Lint::layer)
                .containsExactly("bn");
    }

    @Test
    void closedFormsRejectNegativeZeroAndInfiniteArguments() {
        assertThatThrownBy(() -> EquilibriumRotation.adam(-1e-3, 0.9)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("decoupled shrink");
        assertThatThrownBy(() -> EquilibriumRotation.adam(Double.POSITIVE_INFINITY, 0.9))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(EquilibriumRotation.adam(0, 0.9)).isZero();
        assertThatThrownBy(() -> EquilibriumRotation.largestDecay(0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EquilibriumRotation.largestDecay(1, 0)).isInstanceOf(IllegalArgumentException.class);
        // budget / (budget + rotation): 5 / (5 + 1e-300) rounds to 1
        assertThat(EquilibriumRotation.largestDecay(1e-300, 5)).isEqualTo(1.0);
    }

    @Test
    void theLagForecastLintFiresWhenThePlanReachesTheEquilibriumExactly() {
        // Adam lr 0.5, decoupled decay 0.75 (applied with the lr): shrink 0.375, equilibrium after
        // 3 / (2 x 0.375) = 4 iterations exactly; rotation sqrt(2 x 0.375 x 0.1 / 1.9) = 0.199 rad = 11.4 deg,
        // drift lag at decay 0.9: 9 x 11.4 = 102 deg, far over the 5 deg budget
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .updater(new org.nd4j.linalg.learning.config.Adam(0.5)).list()
                .layer(new DenseLayer.Builder().nOut(4).hasBias(false).weightDecay(0.75).build())
                .layer(new BatchNormalization.Builder().decay(0.9).build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(3)).build());
        mln.init();
        BnNetwork net = BnNetwork.of(mln);
        assertThat(LagForecast.of(net).get(0).equilibriumIterations()).isEqualTo(4.0);
        assertThat(ConfigLints.check(net, OptionalLong.of(4)).stream().map(Lint::rule))
                .contains(ConfigLints.LAG_FORECAST);
        assertThat(ConfigLints.check(net, OptionalLong.of(3)).stream().map(Lint::rule))
                .doesNotContain(ConfigLints.LAG_FORECAST);
    }
}
