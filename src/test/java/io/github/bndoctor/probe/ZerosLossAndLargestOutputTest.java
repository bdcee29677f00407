package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The all-zeros-output loss and the largest absolute output per mode that every probe measurement
 * carries, against direct double loops: the all-zeros loss over the labels alone (for MSE the mean
 * squared label, for a user's own mean absolute error the mean absolute label), the largest outputs
 * over the arrays the network itself gives in each mode. Tolerances: the largest output is one float
 * element of the same array on both sides, so it must agree exactly; the all-zeros loss sums at most
 * 32 float labels in double on both sides in different orders, so it agrees to a few ulps of the sum
 * (1e-12 relative bounds that by three orders of magnitude).
 */
@Tag("unit")
class ZerosLossAndLargestOutputTest {
    private static final LossMeasure MEAN_ABSOLUTE_ERROR = (outputs, labels) -> {
        double sum = 0;
        long n = 0;
        for (int i = 0; i < outputs.length; i++) {
            INDArray d = outputs[i].castTo(DataType.DOUBLE).sub(labels[i].castTo(DataType.DOUBLE));
            sum += org.nd4j.linalg.ops.transforms.Transforms.abs(d).sumNumber().doubleValue();
            n += d.length();
        }
        return sum / n;
    };

    private static double[] values(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    private static double meanSquare(INDArray y) {
        double s = 0;
        double[] v = values(y);
        for (double x : v) {
            s += x * x;
        }
        return s / v.length;
    }

    private static double meanAbs(INDArray y) {
        double s = 0;
        double[] v = values(y);
        for (double x : v) {
            s += Math.abs(x);
        }
        return s / v.length;
    }

    private static double maxAbs(INDArray... outputs) {
        double m = 0;
        for (INDArray o : outputs) {
            for (double x : values(o)) {
                m = Math.max(m, Math.abs(x));
            }
        }
        return m;
    }

    /** Labels of two columns drawn away from the softmax's range, so the loss of zeros is not the trivial 0.5 of one-hot rows. */
    private static INDArray labels(int rows, long seed, double scale) {
        Random r = new Random(seed);
        INDArray y = Nd4j.zeros(DataType.FLOAT, rows, 2);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < 2; j++) {
                y.putScalar(i, j, (float) (scale * r.nextGaussian()));
            }
        }
        return y;
    }

    private static BnNetwork trained(NetworkKind kind) {
        BnNetwork net = ProbeFixtures.net(kind, Layout.NCHW);
        for (INDArray[] b : ProbeFixtures.batches(Layout.NCHW, 6, 1)) {
            net.fit(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        return net;
    }

    /** @return a held-out batch of 8 examples */
    private static INDArray probe() {
        return ProbeFixtures.batches(Layout.NCHW, 1, 99).get(0)[0];
    }

    private static Map<String, MeanVariance> precise(BnNetwork net, INDArray x) {
        Map<String, MeanVariance> p = new LinkedHashMap<>();
        for (int li = 0; li < 2; li++) {
            p.put(net.bnLayers().get(li).name(),
                    ProbeFixtures.pooledBnInput(net, List.<INDArray[]>of(new INDArray[] {x}), Layout.NCHW, li));
        }
        return p;
    }

    private static BnNetwork withPrecise(BnNetwork net, Map<String, MeanVariance> precise) {
        BnNetwork copy = net.copy();
        MovingStatistics.writeAll(copy, precise);
        return copy;
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void onAWholeProbeTheLevelsMatchDirectLoops(NetworkKind kind) {
        BnNetwork net = trained(kind);
        INDArray x = probe();
        INDArray y = labels(8, 5, 3);
        Map<String, MeanVariance> precise = precise(net, x);
        OutputGap gap = OutputGapProbe.measure(net, new INDArray[] {x}, new INDArray[] {y}, precise, LossMeasure.MSE);

        double zeros = meanSquare(y);
        assertThat(zeros).as("labels of scale 3: far from the softmax range").isGreaterThan(2);
        assertThat(gap.zerosLoss()).isCloseTo(zeros, within(1e-12 * zeros));
        assertThat(gap.evalToZerosRatio()).isEqualTo(gap.evalModeLoss() / gap.zerosLoss());
        INDArray[] in = {x};
        assertThat(gap.trainModeMaxAbsOutput()).isEqualTo(maxAbs(net.output(in, true)));
        assertThat(gap.evalModeMaxAbsOutput()).isEqualTo(maxAbs(net.output(in, false)));
        assertThat(gap.preciseMaxAbsOutput()).isEqualTo(maxAbs(withPrecise(net, precise).output(in, false)));
        // softmax rows: the largest entry of a 2-class row lies in [0.5, 1]
        assertThat(gap.evalModeMaxAbsOutput()).isBetween(0.5, 1.0);
    }

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void chunkByChunkTheLevelsMatchDirectLoopsOverEachChunk(NetworkKind kind) {
        BnNetwork net = trained(kind);
        INDArray x = probe();
        INDArray y = labels(8, 6, 2);
        Map<String, MeanVariance> precise = precise(net, x);
        List<ProbeChunk> chunks = new ArrayList<>();
        for (int s = 0; s < 8; s += 4) {
            chunks.add(new ProbeChunk(new INDArray[] {x.get(NDArrayIndex.interval(s, s + 4)).dup()},
                    new INDArray[] {y.get(NDArrayIndex.interval(s, s + 4)).dup()}));
        }
        double train = 0;
        double eval = 0;
        double prec = 0;
        BnNetwork copy = withPrecise(net, precise);
        for (ProbeChunk c : chunks) {
            train = Math.max(train, maxAbs(net.output(c.features(), true)));
            eval = Math.max(eval, maxAbs(net.output(c.features(), false)));
            prec = Math.max(prec, maxAbs(copy.output(c.features(), false)));
        }

        // both chunk orders: whichever chunk holds a mode's largest output comes first once
        for (List<ProbeChunk> order : List.of(chunks, List.of(chunks.get(1), chunks.get(0)))) {
            OutputGap gap = OutputGapProbe.measure(net, order, precise, LossMeasure.MSE);

            // equal chunks: the weighted mean of the chunks' mean squares is the mean square of all labels
            assertThat(gap.zerosLoss()).isCloseTo(meanSquare(y), within(1e-12 * meanSquare(y)));
            assertThat(gap.trainModeMaxAbsOutput()).isEqualTo(train);
            assertThat(gap.evalModeMaxAbsOutput()).isEqualTo(eval);
            assertThat(gap.preciseMaxAbsOutput()).isEqualTo(prec);
        }
    }

    @Test
    void aUsersOwnLossGivesItsOwnAllZerosLevel() {
        BnNetwork net = trained(NetworkKind.MULTI_LAYER);
        INDArray x = probe();
        INDArray y = labels(8, 7, 1.5);
        OutputGap gap = OutputGapProbe.measure(net, new INDArray[] {x}, new INDArray[] {y}, precise(net, x),
                MEAN_ABSOLUTE_ERROR);
        assertThat(gap.zerosLoss()).isCloseTo(meanAbs(y), within(1e-12 * meanAbs(y)));
        assertThat(gap.zerosLoss()).as("not the mean square").isNotCloseTo(meanSquare(y), within(1e-3));
        // zeros are shaped like the outputs, whatever the labels' values
        INDArray[] out = {Nd4j.ones(DataType.FLOAT, 8, 2)};
        assertThat(MEAN_ABSOLUTE_ERROR.zerosLoss(out, new INDArray[] {y})).isCloseTo(meanAbs(y), within(1e-12));
        assertThat(LossMeasure.MSE.zerosLoss(out, new INDArray[] {y})).isCloseTo(meanSquare(y), within(1e-12));
    }

    @Test
    void allZeroLabelsGiveAnAllZerosLossOfZeroAndNoRatio() {
        BnNetwork net = trained(NetworkKind.GRAPH);
        INDArray x = probe();
        OutputGap gap = OutputGapProbe.measure(net, new INDArray[] {x}, new INDArray[] {Nd4j.zeros(DataType.FLOAT, 8, 2)},
                precise(net, x), LossMeasure.MSE);
        assertThat(gap.zerosLoss()).isZero();
        assertThat(gap.evalModeLoss()).isPositive();
        assertThat(gap.evalToZerosRatio()).isNaN();
    }

    @Test
    void theEvalToZerosRatioIsDefinedOnlyForAPositiveFiniteAllZerosLoss() {
        // at the boundary 0 and below it (a user's loss may be negative): undefined, not infinite
        assertThat(new OutputGap(1, 3, 1, 0, 1, 1, 1).evalToZerosRatio()).isNaN();
        assertThat(new OutputGap(1, 3, 1, -0.0, 1, 1, 1).evalToZerosRatio()).isNaN();
        assertThat(new OutputGap(1, 3, 1, -2, 1, 1, 1).evalToZerosRatio()).isNaN();
        // just above 0: the plain quotient (1e-310 / 4.9e-324 is finite)
        assertThat(new OutputGap(1, 1e-310, 1, Double.MIN_VALUE, 1, 1, 1).evalToZerosRatio())
                .isEqualTo(1e-310 / Double.MIN_VALUE).isFinite();
        assertThat(new OutputGap(1, 3, 1, 4, 1, 1, 1).evalToZerosRatio()).isEqualTo(0.75);
        // a loss of zeros that is infinite or NaN (cross-entropy of a zero probability) has no ratio
        assertThat(new OutputGap(1, 3, 1, Double.POSITIVE_INFINITY, 1, 1, 1).evalToZerosRatio()).isNaN();
        assertThat(new OutputGap(1, 3, 1, Double.NaN, 1, 1, 1).evalToZerosRatio()).isNaN();
        // the three-loss form measures none of the levels
        OutputGap three = new OutputGap(1, 3, 1);
        assertThat(new double[] {three.zerosLoss(), three.trainModeMaxAbsOutput(), three.evalModeMaxAbsOutput(),
            three.preciseMaxAbsOutput(), three.evalToZerosRatio()}).containsOnly(Double.NaN);
    }

    @Test
    void theLargestOutputIsTheLargestAbsoluteElementOfAllArrays() {
        INDArray a = Nd4j.createFromArray(new float[][] {{0.25f, -3.5f}, {1f, 2f}});
        INDArray b = Nd4j.createFromArray(new float[] {1e-11f, -2e-11f});
        assertThat(LargestOutput.of(a, b)).isEqualTo(3.5).isEqualTo(maxAbs(a, b));
        assertThat(LargestOutput.of(b)).isEqualTo((double) 2e-11f).isEqualTo(maxAbs(b));
        assertThat(LargestOutput.of(Nd4j.zeros(DataType.FLOAT, 3))).isZero();
        assertThat(LargestOutput.of(Nd4j.createFromArray(new double[] {1, Double.NaN, 2}))).isNaN();
        assertThat(LargestOutput.of(Nd4j.createFromArray(new double[] {1, Double.NEGATIVE_INFINITY})))
                .isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(LargestOutput.of()).isNaN();
        assertThat(LargestOutput.of(Nd4j.create(DataType.FLOAT, 0))).isNaN();
    }
}
