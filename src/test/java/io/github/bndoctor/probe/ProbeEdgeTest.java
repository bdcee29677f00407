package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Probe pieces at their edges: the log-gap shares when either factor dominates (hand values from
 * logarithms of e-powers), rotation over zero iterations, training-mode outputs in chunks against
 * chunks run by hand, and an empty probe.
 */
@Tag("unit")
class ProbeEdgeTest {
    @Test
    void sharesSplitTheLogGapWhicheverFactorIsLarger() {
        double e = Math.E;
        // train 1, precise e, eval e^3: precise/train = e (log 1), eval/precise = e^2 (log 2)
        OutputGap gap = new OutputGap(1, e * e * e, e);
        // shares 2/3 and 1/3; logs of e-powers carry a few ulps
        assertThat(gap.emaShare()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(gap.batchNoiseShare()).isCloseTo(1.0 / 3, within(1e-12));
        // an infinite eval loss: no share
        assertThat(new OutputGap(1, Double.POSITIVE_INFINITY, e).emaShare()).isNaN();
        // no gap at all: no share
        assertThat(new OutputGap(1, 1, 1).emaShare()).isNaN();
    }

    @Test
    void rotationOverZeroIterationsIsUnknown() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        RotationTracker t = new RotationTracker(net);
        String bn = net.bnLayers().get(0).name();
        assertThat(t.update(net, 5).get(bn)).isNaN(); // first call
        INDArray w = ((org.deeplearning4j.nn.multilayer.MultiLayerNetwork) net.model())
                .getLayer(Integer.parseInt(t.feedingLayerOf(bn))).getParam("W");
        w.addi(Nd4j.rand(w.dataType(), w.shape()));
        // the weights moved, but no iteration passed: no rate, not an infinite one
        assertThat(t.update(net, 5).get(bn)).isNaN();
        w.addi(Nd4j.rand(w.dataType(), w.shape()));
        double rate = t.update(net, 7).get(bn);
        assertThat(rate).isPositive().isFinite();
    }

    @Test
    void trainModeOutputsInChunksAreTheChunksRunByHand() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        INDArray x = ProbeFixtures.batches(Layout.DENSE, 1, 3).get(0)[0]; // 8 examples
        INDArray[] halves = OutputGapProbe.trainModeOutputs(net, new INDArray[] {x}, 4);
        INDArray first = net.output(new INDArray[] {x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4))}, true)[0];
        INDArray second = net.output(new INDArray[] {x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8))}, true)[0];
        assertThat(halves[0].shape()).containsExactly(8, 2);
        // the same float forward passes: identical
        assertThat(halves[0].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4))).isEqualTo(first);
        assertThat(halves[0].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8))).isEqualTo(second);
        // 0 and the whole probe: one pass over all 8
        INDArray whole = net.output(new INDArray[] {x}, true)[0];
        assertThat(OutputGapProbe.trainModeOutputs(net, new INDArray[] {x}, 0)[0]).isEqualTo(whole);
        assertThat(OutputGapProbe.trainModeOutputs(net, new INDArray[] {x}, 8)[0]).isEqualTo(whole);
        assertThatThrownBy(() -> OutputGapProbe.trainModeOutputs(net, new INDArray[] {x}, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a multiple");
    }

    @Test
    void anEmptyProbeIsRejected() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        assertThatThrownBy(() -> OutputGapProbe.measure(net, List.<ProbeChunk>of(), MovingStatistics.readAll(net),
                LossMeasure.MSE)).isInstanceOf(EmptyDataException.class);
    }

    @Test
    void aChunkLargerThanTheProbeRunsItInOnePass() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        INDArray x = ProbeFixtures.batches(Layout.DENSE, 1, 3).get(0)[0]; // 8 examples
        assertThat(OutputGapProbe.trainModeOutputs(net, new INDArray[] {x}, 16)[0])
                .isEqualTo(net.output(new INDArray[] {x}, true)[0]);
    }

    @Test
    void aPopulationEqualToThePriorHasNoWarmupError() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE);
        io.github.bndoctor.dl4j.BnLayerRef ref = net.bnLayers().get(0);
        double[] zeros = new double[ref.channels()];
        double[] ones = new double[ref.channels()];
        java.util.Arrays.fill(ones, 1);
        io.github.bndoctor.stats.MeanVariance prior = new io.github.bndoctor.stats.MeanVariance(zeros, ones);
        // the warm-up mixes the prior (0, 1) with the population (0, 1): itself, at any prior weight
        LayerDecomposition d = LayerDecomposition.of(ref, 5, prior, prior, prior);
        assertThat(d.priorWeight()).isCloseTo(Math.pow(0.9, 5), within(1e-15));
        assertThat(d.warmupError()).isZero();
        assertThat(d.emaError()).isZero();
    }

    @Test
    void theSharesAreTheLogGapsPartsWhicheverIsLarger() {
        // eval/precise 2, precise/train 8: ln 2 of ln 16 is the EMA's, a quarter; the batch noise's three quarters
        OutputGap g = new OutputGap(1, 16, 8);
        assertThat(g.emaShare()).isCloseTo(0.25, within(1e-12));
        assertThat(g.batchNoiseShare()).isCloseTo(0.75, within(1e-12));
        // one part at or below 1 counts 0: the other takes the whole gap
        assertThat(new OutputGap(1, 2, 0.5).emaShare()).isEqualTo(1);
        assertThat(new OutputGap(1, 2, 2).emaShare()).isEqualTo(0);
    }
}
