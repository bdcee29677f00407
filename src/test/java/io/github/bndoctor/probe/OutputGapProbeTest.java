package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.dl4j.TrainingPassTolerance;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The output-gap probe against losses computed here from the network's own outputs (inference mode:
 * same float outputs on both sides, the double-precision MSE agrees to ~1e-12; training mode: the
 * probe's pass agrees with DL4J's to float rounding, {@link TrainingPassTolerance}). The precise loss goes by
 * another route: given the probe batch's own BN-input statistics (a direct double loop), inference
 * mode must reproduce training mode on that batch, so the precise loss equals the training-mode
 * loss up to float rounding of the normalisation (outputs within 1e-4, see {@code PreciseBnTest};
 * softmax outputs against one-hot labels move the MSE by at most 2 x 1e-4).
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
        Probed p = Probed.of(kind, 6, 1, 99);
        BnNetwork net = p.net();
        INDArray x = p.x();
        INDArray y = p.y();
        Map<String, MeanVariance> precise = p.precise();
        ParameterSnapshot before = ParameterSnapshot.of(net);
        Map<String, MeanVariance> movingBefore = MovingStatistics.readAll(net);

        OutputGap gap = OutputGapProbe.measure(net, new INDArray[] {x}, new INDArray[] {y}, precise, LossMeasure.MSE);

        assertThat(net).hasParametersIdenticalTo(before);
        assertThat(MovingStatistics.readAll(net)).isEqualTo(movingBefore);
        double trainLoss = mse(net.output(new INDArray[] {x}, true)[0], y);
        // the probe's training-mode pass substitutes batch statistics: each softmax output within t of
        // DL4J's (TrainingPassTolerance, 8 x 4 x 4 values per channel); outputs and labels in [0, 1]
        // move the MSE by at most 2t + t^2
        double t = TrainingPassTolerance.of(1, 1, 8L * 4 * 4);
        assertThat(gap.trainModeLoss()).isCloseTo(trainLoss, within(2 * t + t * t));
        assertThat(gap.evalModeLoss()).isCloseTo(mse(net.output(new INDArray[] {x}, false)[0], y), within(1e-12));
        assertThat(Math.abs(gap.evalModeLoss() - trainLoss)).as("the moving statistics still differ").isGreaterThan(1e-3);
        assertThat(gap.preciseLoss()).isCloseTo(trainLoss, within(2e-4));
        assertThat(gap.evalToTrainRatio()).isEqualTo(gap.evalModeLoss() / gap.trainModeLoss());
    }

    /**
     * Training-mode outputs handed in (here DL4J's own {@code output(x, true)}) are scored as they are:
     * the training-mode loss is their MSE, computed here by a loop (1e-12: the same floats summed in
     * double in another order); the inference and precise passes are those of the overload that runs
     * the training-mode pass itself, bit for bit.
     */
    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void givenTrainingModeOutputsAreScoredAsTheyAre(NetworkKind kind) {
        Probed p = Probed.of(kind, 4, 2, 98);
        BnNetwork net = p.net();
        INDArray x = p.x();
        INDArray y = p.y();
        Map<String, MeanVariance> precise = p.precise();
        INDArray[] dl4jTrain = net.output(new INDArray[] {x}, true);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        OutputGap given = OutputGapProbe.measure(net, new INDArray[] {x}, new INDArray[] {y}, dl4jTrain, precise,
                LossMeasure.MSE);
        assertThat(net).hasParametersIdenticalTo(before);
        OutputGap own = OutputGapProbe.measure(net, new INDArray[] {x}, new INDArray[] {y}, precise, LossMeasure.MSE);
        assertThat(given.trainModeLoss()).isCloseTo(mse(dl4jTrain[0], y), within(1e-12));
        assertThat(given.evalModeLoss()).isEqualTo(own.evalModeLoss());
        assertThat(given.preciseLoss()).isEqualTo(own.preciseLoss());
        assertThat(given.zerosLoss()).isEqualTo(own.zerosLoss());
        assertThat(given.evalModeMaxAbsOutput()).isEqualTo(own.evalModeMaxAbsOutput());
        assertThat(given.preciseMaxAbsOutput()).isEqualTo(own.preciseMaxAbsOutput());
    }

    /**
     * A network trained on {@code batches} batches (seed {@code trainSeed}), a probe batch (seed
     * {@code probeSeed}) with its labels, and the probe's own pooled BN inputs as precise statistics
     * of the two BN layers (computed by {@link ProbeFixtures#pooledBnInput}, independently of the probe).
     */
    private record Probed(BnNetwork net, INDArray x, INDArray y, Map<String, MeanVariance> precise) {
        static Probed of(NetworkKind kind, int batches, long trainSeed, long probeSeed) {
            BnNetwork net = ProbeFixtures.net(kind, Layout.NCHW);
            for (INDArray[] b : ProbeFixtures.batches(Layout.NCHW, batches, trainSeed)) {
                net.fit(new org.nd4j.linalg.dataset.DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
            }
            INDArray x = ProbeFixtures.batches(Layout.NCHW, 1, probeSeed).get(0)[0];
            Map<String, MeanVariance> precise = new LinkedHashMap<>();
            for (int li = 0; li < 2; li++) {
                precise.put(net.bnLayers().get(li).name(),
                        ProbeFixtures.pooledBnInput(net, List.<INDArray[]>of(new INDArray[] {x}), Layout.NCHW, li));
            }
            return new Probed(net, x, ProbeFixtures.labels(x, 0), precise);
        }
    }
}
