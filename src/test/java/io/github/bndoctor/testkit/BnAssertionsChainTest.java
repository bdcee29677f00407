package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The test kit's fluent chains in every order (each check returns its assert), a relative tolerance
 * applied per value (passes inside, fails just outside), mismatched tolerance arrays named, the
 * entry point for a bare DL4J model, and the pieces a property draws from: a case's network, a
 * decay's description, and the NHWC networks.
 */
@Tag("unit")
class BnAssertionsChainTest {
    private final BnNetwork net = TinyBnNetworks.singleBn(NetworkKind.MULTI_LAYER, Layout.DENSE, 2, 1, 1, 0.9,
            VarianceParameterisation.VAR);

    @Test
    void everyCheckReturnsItsAssertForTheNextOne() {
        String bn = net.bnLayers().get(0).name();
        MeanVariance stats = new MeanVariance(new double[] {0.5, 100}, new double[] {2, 300});
        MovingStatistics.write(net, net.bnLayer(bn), stats);
        ParameterSnapshot now = ParameterSnapshot.of(net);
        BnAssertions.assertThat(net.model()).hasParametersIdenticalTo(now)
                .hasMovingStatisticsCloseTo(Map.of(bn, stats), Tolerance.relative(1e-12))
                .hasParametersIdenticalTo(now);
        BnAssertions.assertThat(net).layer(bn).hasMovingStatisticsCloseTo(stats, Tolerance.relative(1e-12))
                .hasMovingVarianceWithin(stats.variance(), new double[] {0, 0})
                .hasMovingMeanWithin(stats.mean(), new double[] {0, 0});
        assertThat(BnAssertions.assertThat(net).movingStatistics().get(bn).variance()).containsExactly(2, 300);
    }

    @Test
    void aRelativeToleranceScalesWithEachExpectedValue() {
        String bn = net.bnLayers().get(0).name();
        // stored in float: 100 and 300 are exact, so an expected value off by 1% is off by exactly 1 and 3
        MovingStatistics.write(net, net.bnLayer(bn), new MeanVariance(new double[] {0.5, 100}, new double[] {2, 300}));
        MeanVariance offByOnePercent = new MeanVariance(new double[] {0.5, 101}, new double[] {2, 303});
        // 1% of 101 is 1.01 >= 1, of 303 is 3.03 >= 3: inside; 0.9% is not
        BnAssertions.assertThat(net).layer(bn).hasMovingStatisticsCloseTo(offByOnePercent, Tolerance.relative(0.01));
        assertThatThrownBy(() -> BnAssertions.assertThat(net).layer(bn)
                .hasMovingStatisticsCloseTo(offByOnePercent, Tolerance.relative(0.009)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("channel 1: moving mean");
        assertThatThrownBy(() -> BnAssertions.assertThat(net).layer(bn)
                .hasMovingMeanWithin(new double[] {0.5, 100}, new double[] {1}))
                .isInstanceOf(AssertionError.class).hasMessageContaining("expected 2 values and 1 tolerances");
    }

    @Test
    void aCaseBuildsItsSingleBnNetworkAndDecaysDescribeTheirWindow() {
        BnCase c = new BnCase(NetworkKind.GRAPH, Layout.NHWC, VarianceParameterisation.LOG10_STDEV, 0.99, 4, 3, 2,
                new double[] {0, 1, 2}, new double[] {1, 1, 1}, 5L);
        BnNetwork n = c.network();
        assertThat(n.bnLayers()).hasSize(1);
        assertThat(n.bnLayers().get(0).decay()).isEqualTo(0.99);
        assertThat(n.bnLayers().get(0).channels()).isEqualTo(3);
        INDArray x = c.batches().next();
        assertThat(n.output(new INDArray[] {x}, false)[0].shape()).isEqualTo(x.shape());
        // window 1/(1-d): 100 for 0.99
        assertThat(BnGenerators.decays(0.9, 0.999).asString(0.99)).isEqualTo("0.990000 (window 100.0)");
    }

    @Test
    void nhwcNetworksTakeChannelsLastInputs() {
        BnNetwork n = TinyBnNetworks.twoBlocks(NetworkKind.MULTI_LAYER, Layout.NHWC, 2, 3, 4, 0.9,
                VarianceParameterisation.VAR, new org.nd4j.linalg.learning.config.Sgd(0.1), 1L);
        INDArray x = new GaussianBatches(Layout.NHWC, 5, 4, 4, new double[] {0, 1}, new double[] {1, 1}, 2L).next();
        assertThat(x.shape()).containsExactly(5, 4, 4, 2);
        assertThat(n.output(new INDArray[] {x}, false)[0].shape()).containsExactly(5, 2);
        assertThat(n.bnLayers()).extracting(r -> r.channels()).containsExactly(3, 3);
        BnNetwork dense = TinyBnNetworks.twoBlocks(NetworkKind.GRAPH, Layout.DENSE, 2, 3, 1, 0.9,
                VarianceParameterisation.VAR, new org.nd4j.linalg.learning.config.Sgd(0.1), 1L);
        assertThat(dense.output(new INDArray[] {org.nd4j.linalg.factory.Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.FLOAT,
                5, 2)}, false)[0].shape()).containsExactly(5, 2);
    }

    @Test
    void convolutionalNetworksPoolBeforeTheOutputAndDenseOnesDoNot() {
        org.nd4j.linalg.learning.config.Sgd sgd = new org.nd4j.linalg.learning.config.Sgd(0.1);
        BnNetwork conv = TinyBnNetworks.twoBlocks(NetworkKind.MULTI_LAYER, Layout.NCHW, 2, 3, 4, 0.9,
                VarianceParameterisation.VAR, sgd, 1L);
        BnNetwork dense = TinyBnNetworks.twoBlocks(NetworkKind.MULTI_LAYER, Layout.DENSE, 2, 3, 1, 0.9,
                VarianceParameterisation.VAR, sgd, 1L);
        // block, BN, ReLU twice, then (pooling and) the output layer
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork c = (org.deeplearning4j.nn.multilayer.MultiLayerNetwork) conv.model();
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork d = (org.deeplearning4j.nn.multilayer.MultiLayerNetwork) dense.model();
        assertThat(c.getnLayers()).isEqualTo(8);
        assertThat(c.getLayer(6).conf().getLayer())
                .isInstanceOf(org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer.class);
        assertThat(d.getnLayers()).isEqualTo(7);
    }
}
