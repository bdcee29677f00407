package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The output-gap probe against losses computed here from the network's own outputs, and a
 * precise loss computed by explicitly recalibrating a clone. Same float outputs on both sides:
 * the double-precision MSE agrees to ~1e-12.
 */
@Tag("unit")
class OutputGapProbeTest {

    private static double mse(INDArray a, INDArray b) {
        double[] x = a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] y = b.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (x[i] - y[i]) * (x[i] - y[i]);
        }
        return s / x.length;
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void lossesMatchIndependentComputationsAndTheLiveNetworkIsUntouched(NetworkKind kind) {
        BnNetwork net = ProbeFixtures.net(kind, Layout.NCHW);
        List<INDArray[]> train = ProbeFixtures.batches(Layout.NCHW, 6, 1);
        for (INDArray[] b : train) {
            net.fit(new org.nd4j.linalg.dataset.DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        INDArray x = ProbeFixtures.batches(Layout.NCHW, 1, 99).get(0)[0];
        INDArray y = ProbeFixtures.labels(x, 0);
        Map<String, MeanVariance> precise = PreciseStatistics.estimate(net, train.iterator(), 48,
                PopulationEstimator.POOLED);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        Map<String, MeanVariance> movingBefore = MovingStatistics.readAll(net);

        OutputGap gap = OutputGapProbe.measure(net, new INDArray[] {x}, new INDArray[] {y}, precise, LossMeasure.MSE);

        assertThat(net).hasParametersIdenticalTo(before);
        assertThat(MovingStatistics.readAll(net)).isEqualTo(movingBefore);
        assertThat(gap.trainModeLoss()).isCloseTo(mse(net.output(new INDArray[] {x}, true)[0], y), within(1e-12));
        assertThat(gap.evalModeLoss()).isCloseTo(mse(net.output(new INDArray[] {x}, false)[0], y), within(1e-12));
        BnNetwork copy = net.copy();
        MovingStatistics.writeAll(copy, precise);
        assertThat(gap.preciseLoss()).isCloseTo(mse(copy.output(new INDArray[] {x}, false)[0], y), within(1e-12));
        assertThat(gap.evalToTrainRatio()).isEqualTo(gap.evalModeLoss() / gap.trainModeLoss());
    }
}
