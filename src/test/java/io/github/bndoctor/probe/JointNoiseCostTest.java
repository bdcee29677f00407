package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The joint noise measure of {@link NoiseCost#together}: its centred draw against the closed forms
 * (the EMA's stationary noise {@code (1-d)/(1+d)} times the batches' unbiased spread, the biased
 * batch variance's bias by the law of total variance), and its output cost against a direct loop
 * over a BN layer fed by the input with an MSE loss, where every possible draw's loss is computed by
 * hand.
 */
@Tag("unit")
class JointNoiseCostTest {
    private static final double EPS = 1e-5; // DL4J's BN epsilon

    @Test
    void aCentredDrawHasTheEmasNoiseAroundThePreciseStatisticsAndKeepsTheBatchVariancesBias() {
        // 4 chunks: means +-1 (their mean 0, unbiased variance 4/3), variances 2 or 4 (mean 3)
        List<MeanVariance> chunks = new ArrayList<>();
        for (int j = 0; j < 4; j++) {
            chunks.add(new MeanVariance(new double[] {j % 2 == 0 ? 1 : -1}, new double[] {j < 2 ? 2 : 4}));
        }
        MeanVariance precise = new MeanVariance(new double[] {5}, new double[] {10});
        SplittableRandom rng = new SplittableRandom(3);
        for (double d : new double[] {0.5, 0.8}) {
            double[] w = NoiseCost.weights(d);
            int n = 40_000;
            double sm = 0;
            double sm2 = 0;
            double sv = 0;
            for (int i = 0; i < n; i++) {
                MeanVariance s = NoiseCost.centred(chunks, NoiseCost.draw(chunks, w, rng), precise);
                sm += s.mean()[0] - 5;
                sm2 += (s.mean()[0] - 5) * (s.mean()[0] - 5);
                sv += s.variance()[0];
            }
            double expectedRms = Math.sqrt((1 - d) / (1 + d) * 4.0 / 3);
            // standard error of a mean of 40,000 draws of spread <= 0.67: 0.0034; bound 0.02
            assertThat(sm / n).isCloseTo(0, within(0.02));
            // precise variance 10 less the chunk means' unbiased variance 4/3; the variances' own noise averages out
            assertThat(sv / n).isCloseTo(10 - 4.0 / 3, within(0.02));
            // RMS of 40,000 draws: relative standard error below 1%; bound 3%
            assertThat(Math.sqrt(sm2 / n)).isCloseTo(expectedRms, within(0.03 * expectedRms));
        }
        // the chunks' own mean moves onto the precise statistics exactly
        MeanVariance atMean = NoiseCost.centred(chunks, new MeanVariance(new double[] {0}, new double[] {3}), precise);
        assertThat(atMean.mean()[0]).isCloseTo(5, within(1e-12));
        assertThat(atMean.variance()[0]).isCloseTo(10 - 4.0 / 3, within(1e-12));
    }

    @Test
    void theJointCostIsTheLossOfOneOfTheDrawsADirectLoopEnumerates() {
        // BN fed by the input (gamma 1, beta 0), MSE against zero labels: the inference loss with statistics
        // (m, v) is the mean over examples and channels of ((x - m) / sqrt(v + eps))^2, computed here by hand
        int channels = 3;
        int batch = 4;
        BnNetwork net = TinyBnNetworks.singleBn(NetworkKind.MULTI_LAYER, Layout.DENSE, channels, 1, 1, 0.5,
                VarianceParameterisation.VAR);
        SplittableRandom data = new SplittableRandom(17);
        int n = 4 * batch; // two training batches per half
        double[][] x = new double[n][channels];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                x[i][c] = (c + 1) * data.nextGaussian() + c - 1 + (i / batch) * 0.3;
            }
        }
        INDArray features = Nd4j.create(x).castTo(DataType.FLOAT);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, n, channels);
        String layer = net.bnLayers().get(0).name();
        MeanVariance precise = new MeanVariance(new double[] {-0.8, 0.2, 1.1}, new double[] {1.2, 3.8, 9.5});
        // chunk j: rows j*batch ..; half h: chunks h, h + 2; a draw at decay 0 is one chunk per half, centred
        List<List<MeanVariance>> halves = List.of(new ArrayList<>(), new ArrayList<>());
        for (int j = 0; j < 4; j++) {
            halves.get(j % 2).add(stats(x, j * batch, batch));
        }
        double[] preciseLoss = {loss(x, 1, batch, precise), loss(x, 0, batch, precise)};
        List<Double> possible = new ArrayList<>();
        for (MeanVariance a : halves.get(0)) {
            for (MeanVariance b : halves.get(1)) {
                double la = loss(x, 1, batch, centredByHand(halves.get(0), a, precise));
                double lb = loss(x, 0, batch, centredByHand(halves.get(1), b, precise));
                possible.add((la + lb) / (preciseLoss[0] + preciseLoss[1]));
            }
        }
        double[] draws = NoiseCost.together(net, new INDArray[] {features}, new INDArray[] {labels},
                Map.of(layer, precise), Map.of(layer, 0.0), batch, LossMeasure.MSE, 5);
        assertThat(draws).hasSize(NoiseCost.DRAWS);
        for (double r : draws) {
            // float inference against double arithmetic: relative 1e-4
            assertThat(possible).as("draw %s among %s", r, possible).anyMatch(p -> Math.abs(p - r) <= 1e-4 * p);
        }
        // no layer at most 2/3: not measured; the same seed: the same draws
        assertThat(NoiseCost.together(net, new INDArray[] {features}, new INDArray[] {labels}, Map.of(layer, precise),
                Map.of(layer, 0.9), batch, LossMeasure.MSE, 5)).isEmpty();
        assertThat(NoiseCost.together(net, new INDArray[] {features}, new INDArray[] {labels}, Map.of(layer, precise),
                Map.of(layer, 0.0), batch, LossMeasure.MSE, 5)).containsExactly(draws);
    }

    @Test
    void bothMeasuresRunFromTheFloorDecayDownToZeroAndNeedTwoBatchesPerHalf() {
        int channels = 2;
        int batch = 4;
        BnNetwork net = TinyBnNetworks.singleBn(NetworkKind.MULTI_LAYER, Layout.DENSE, channels, 1, 1, 0.5,
                VarianceParameterisation.VAR);
        SplittableRandom data = new SplittableRandom(23);
        double[][] x = new double[4 * batch][channels];
        for (double[] row : x) {
            for (int c = 0; c < channels; c++) {
                row[c] = (c + 1) * data.nextGaussian();
            }
        }
        INDArray[] features = {Nd4j.create(x).castTo(DataType.FLOAT)};
        INDArray[] labels = {Nd4j.zeros(DataType.FLOAT, 4 * batch, channels)};
        String layer = net.bnLayers().get(0).name();
        Map<String, MeanVariance> precise = Map.of(layer, new MeanVariance(new double[] {0.1, -0.2}, new double[] {1.1, 3.9}));
        // the floor decay itself is measured, one ulp above it is not
        double floor = NoiseCost.NEAR_FLOOR_DECAY;
        assertThat(NoiseCost.together(net, features, labels, precise, Map.of(layer, floor), batch, LossMeasure.MSE, 3))
                .hasSize(NoiseCost.DRAWS);
        assertThat(NoiseCost.together(net, features, labels, precise, Map.of(layer, Math.nextUp(floor)), batch,
                LossMeasure.MSE, 3)).isEmpty();
        NoiseCost.Measured at = NoiseCost.measure(net, features, labels, precise, Map.of(layer, floor), batch,
                LossMeasure.MSE, 3);
        assertThat(at.perLayer()).containsOnlyKeys(layer);
        assertThat(at.joint()).hasSize(NoiseCost.DRAWS);
        NoiseCost.Measured above = NoiseCost.measure(net, features, labels, precise, Map.of(layer, Math.nextUp(floor)),
                batch, LossMeasure.MSE, 3);
        assertThat(above.perLayer()).isEmpty();
        assertThat(above.joint()).isEmpty();
        assertThat(above.jointCost()).isNaN();
        // decay 0 moves (each draw one batch per half): the measure's joint draws are the joint measure's, seeded alike
        double[] alone = NoiseCost.together(net, features, labels, precise, Map.of(layer, 0.0), batch, LossMeasure.MSE, 3);
        NoiseCost.Measured zero = NoiseCost.measure(net, features, labels, precise, Map.of(layer, 0.0), batch,
                LossMeasure.MSE, 3);
        assertThat(zero.joint()).containsExactly(alone);
        assertThat(zero.perLayer()).containsOnlyKeys(layer);
        // unequal batches: some draw differs from the precise statistics' loss
        assertThat(java.util.Arrays.stream(alone).anyMatch(r -> Math.abs(r - 1) > 1e-3)).isTrue();
        // one training batch per half is too few: nothing measured
        NoiseCost.Measured few = NoiseCost.measure(net, features, labels, precise, Map.of(layer, 0.0), 2 * batch,
                LossMeasure.MSE, 3);
        assertThat(few.perLayer()).isEmpty();
        assertThat(few.joint()).isEmpty();
    }

    @Test
    void identicalChunksLeaveNoNoiseAtAnyDecay() {
        // every training batch the same examples: no spread, no bias; each draw is the precise statistics
        BnNetwork net = TinyBnNetworks.singleBn(NetworkKind.MULTI_LAYER, Layout.DENSE, 2, 1, 1, 0.5,
                VarianceParameterisation.VAR);
        INDArray one = Nd4j.create(new double[][] {{1, -2}, {0.5, 3}, {-1, 0}, {2, 1}}).castTo(DataType.FLOAT);
        INDArray features = Nd4j.concat(0, one, one, one, one);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 16, 2);
        String layer = net.bnLayers().get(0).name();
        MeanVariance precise = new MeanVariance(new double[] {0.1, 0.4}, new double[] {1.5, 2.5});
        for (double d : new double[] {0, 0.5, 0.9, 0.997}) {
            double[] draws = NoiseCost.drawn(net, new INDArray[] {features}, new INDArray[] {labels},
                    Map.of(layer, precise), Map.of(layer, d), 4, LossMeasure.MSE, 1);
            assertThat(draws).hasSize(NoiseCost.DRAWS);
            for (double r : draws) {
                assertThat(r).as("decay %s", d).isCloseTo(1, within(1e-6)); // the same statistics, the same passes
            }
        }
    }

    /** Mean and biased variance per channel of rows {@code from .. from + size}. */
    private static MeanVariance stats(double[][] x, int from, int size) {
        int channels = x[0].length;
        double[] m = new double[channels];
        double[] v = new double[channels];
        for (int c = 0; c < channels; c++) {
            for (int i = from; i < from + size; i++) {
                m[c] += x[i][c] / size;
            }
            for (int i = from; i < from + size; i++) {
                v[c] += (x[i][c] - m[c]) * (x[i][c] - m[c]) / size;
            }
        }
        return new MeanVariance(m, v);
    }

    /**
     * precise + sqrt(J/(J-1)) (pick - chunks' mean); variance also less the chunk means' unbiased variance,
     * at least 0.01 of precise's. The hand route for the centred draw, also used by {@link NoiseCostOfTest}.
     */
    static MeanVariance centredByHand(List<MeanVariance> chunks, MeanVariance pick, MeanVariance precise) {
        int j = chunks.size();
        int channels = pick.mean().length;
        double[] m = new double[channels];
        double[] v = new double[channels];
        for (int c = 0; c < channels; c++) {
            double mm = 0;
            double mv = 0;
            for (MeanVariance s : chunks) {
                mm += s.mean()[c] / j;
                mv += s.variance()[c] / j;
            }
            double spread = 0;
            for (MeanVariance s : chunks) {
                spread += (s.mean()[c] - mm) * (s.mean()[c] - mm) / (j - 1);
            }
            double k = Math.sqrt(j / (j - 1.0));
            m[c] = precise.mean()[c] + k * (pick.mean()[c] - mm);
            v[c] = Math.max(0.01 * precise.variance()[c], precise.variance()[c] - spread + k * (pick.variance()[c] - mv));
        }
        return new MeanVariance(m, v);
    }

    /** Sum over the half's rows (chunks h, h + 2) and channels of the squared standardized input. */
    private static double loss(double[][] x, int half, int batch, MeanVariance s) {
        double sum = 0;
        for (int chunk = half; chunk < 4; chunk += 2) {
            for (int i = chunk * batch; i < (chunk + 1) * batch; i++) {
                for (int c = 0; c < x[i].length; c++) {
                    double z = (x[i][c] - s.mean()[c]) / Math.sqrt(s.variance()[c] + EPS);
                    sum += z * z;
                }
            }
        }
        return sum;
    }
}
