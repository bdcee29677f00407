package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link NoiseCost#of} and {@link NoiseCost#together} on a BN layer fed directly by the input (gamma 1,
 * beta 0, MSE on its output), so that every loss is {@code mean((x - m)/sqrt(v + eps) - y)^2} over a
 * half's rows, computed here by a direct double loop, and every chunk's batch statistics are the plain
 * mean and biased variance of its rows.
 *
 * <p>The probe is 16 rows cut into four training batches of 4: chunks 0 and 2 (half 0) and chunks 1
 * and 3 (half 1). Each draw is centred on the precise statistics {@code P}: mean
 * {@code P + sqrt(J/(J-1)) (pick - chunks' mean)}, variance {@code P - (chunk means' unbiased variance)
 * + sqrt(J/(J-1)) (pick - chunks' mean)}, at least {@link NoiseCost#VARIANCE_GUARD} of {@code P}'s
 * ({@link JointNoiseCostTest#centredByHand}).
 * Where the two chunks of a half hold the same rows in another order, every draw from that half is
 * {@code P} whatever the picks and the decay, so the cost is exactly 1. Where they differ, at decay 0
 * every draw from that half is one of two known statistics, scored on the other half against
 * {@code [L(half 0, P) + L(half 1, P)]} (cross-fitted).
 */
@Tag("unit")
class NoiseCostOfTest {
    /** Half 0's rows (chunk 0 in this order, chunk 2 reversed) and half 1's (chunk 1, chunk 3 rotated). */
    private static final double[][] R = {{1, 2}, {3, -1}, {-2, 0.5}, {4, 1.5}};
    private static final double[][] S = {{0, 5}, {-1, 3}, {2, 4}, {1, -2}};
    /** Chunk 2 when it differs from chunk 0. */
    private static final double[][] R2 = {{-3, 1}, {0.5, 2.5}, {2, -1.5}, {-1, 0}};
    private static final MeanVariance P = new MeanVariance(new double[] {0.5, 1.0}, new double[] {4, 6});
    private static BnNetwork net;
    private static String layer;
    private static double eps;

    @BeforeAll
    static void build() {
        net = TinyBnNetworks.singleBn(NetworkKind.MULTI_LAYER, Layout.DENSE, 2, 1, 1, 0.5, VarianceParameterisation.VAR);
        layer = net.bnLayers().get(0).name();
        eps = ((org.deeplearning4j.nn.conf.layers.BatchNormalization) ((org.deeplearning4j.nn.multilayer.MultiLayerNetwork)
                net.model()).getLayerWiseConfigurations().getConf(0).getLayer()).getEps();
    }

    private static double[][] rows(double[][]... chunks) {
        List<double[]> out = new ArrayList<>();
        for (double[][] c : chunks) {
            out.addAll(List.of(c));
        }
        return out.toArray(new double[0][]);
    }

    private static double[][] reversed(double[][] c) {
        return new double[][] {c[3], c[2], c[1], c[0]};
    }

    private static double[][] rotated(double[][] c) {
        return new double[][] {c[1], c[2], c[3], c[0]};
    }

    /** Labels of row i, arbitrary but fixed (multiples of 0.5 in [-1, 1]). */
    private static double label(int i, int c) {
        return ((i * 7 + c * 3) % 5 - 2) * 0.5;
    }

    private static INDArray[] features(double[][] x) {
        return new INDArray[] {Nd4j.createFromArray(x).castTo(DataType.FLOAT)};
    }

    private static INDArray[] labels(int n) {
        double[][] y = new double[n][2];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 2; c++) {
                y[i][c] = label(i, c);
            }
        }
        return new INDArray[] {Nd4j.createFromArray(y).castTo(DataType.FLOAT)};
    }

    /** Mean and biased variance of a chunk's rows, two-pass. */
    private static MeanVariance stats(double[][] c) {
        double[] m = new double[2];
        double[] v = new double[2];
        for (int ch = 0; ch < 2; ch++) {
            for (double[] r : c) {
                m[ch] += r[ch] / c.length;
            }
            for (double[] r : c) {
                v[ch] += (r[ch] - m[ch]) * (r[ch] - m[ch]) / c.length;
            }
        }
        return new MeanVariance(m, v);
    }

    /** Sum of squared errors of the BN output with statistics {@code s} over the probe's rows {@code idx}. */
    private static double sse(double[][] x, int[] idx, MeanVariance s) {
        double sum = 0;
        for (int i : idx) {
            for (int c = 0; c < 2; c++) {
                double out = (x[i][c] - s.mean()[c]) / Math.sqrt(s.variance()[c] + eps);
                sum += (out - label(i, c)) * (out - label(i, c));
            }
        }
        return sum;
    }

    private static final int[] HALF0 = {0, 1, 2, 3, 8, 9, 10, 11};
    private static final int[] HALF1 = {4, 5, 6, 7, 12, 13, 14, 15};

    /** Each half's EMA is its own statistics, scored on the other half; both halves hold 8 rows, so sums stand for means. */
    private static double exact(double[][] x, MeanVariance a, MeanVariance b) {
        return (sse(x, HALF1, a) + sse(x, HALF0, b)) / (sse(x, HALF0, P) + sse(x, HALF1, P));
    }

    // float32 forward passes (unit round-off 6e-8, a few dozen operations per loss) against double: 1e-5 relative
    private static final double TOL = 1e-5;

    @Test
    void whereEachHalfsChunksAgreeEveryDrawIsThePreciseStatistics() {
        double[][] x = rows(R, S, reversed(R), rotated(S));
        // uncentred, each half's own statistics would cost this much: the error of the halves' means, not noise
        double uncentred = exact(x, stats(R), stats(S));
        assertThat(uncentred).isGreaterThan(1.05);
        for (double d : new double[] {0, 0.5, NoiseCost.NEAR_FLOOR_DECAY}) {
            Map<String, Double> cost = NoiseCost.of(net, features(x), labels(16), Map.of(layer, P), Map.of(layer, d), 4,
                    LossMeasure.MSE, 3);
            assertThat(cost).containsOnlyKeys(layer);
            assertThat(cost.get(layer)).as("decay %s", d).isCloseTo(1.0, within(TOL));
        }
    }

    @Test
    void onlyLayersNearTheFloorWithTwoTrainingBatchesPerHalfAreJudged() {
        double[][] x = rows(R, S, reversed(R), rotated(S));
        INDArray[] f = features(x);
        INDArray[] y = labels(16);
        // just above the floor's neighbourhood: not judged
        assertThat(NoiseCost.of(net, f, y, Map.of(layer, P), Map.of(layer, Math.nextUp(NoiseCost.NEAR_FLOOR_DECAY)), 4,
                LossMeasure.MSE, 3)).isEmpty();
        assertThat(NoiseCost.together(net, f, y, Map.of(layer, P), Map.of(layer, 0.9), 4, LossMeasure.MSE, 3)).isEmpty();
        // 16 rows: batches of 4 give two per half (judged); of 5, three chunks, one per half; of 0 or less, none
        for (int b : new int[] {5, 8, 16, 0, -4}) {
            assertThat(NoiseCost.of(net, f, y, Map.of(layer, P), Map.of(layer, 0.5), b, LossMeasure.MSE, 3)).as("batch %d", b)
                    .isEmpty();
            assertThat(NoiseCost.together(net, f, y, Map.of(layer, P), Map.of(layer, 0.5), b, LossMeasure.MSE, 3)).isEmpty();
        }
        // 20 rows at batches of 5: two per half again (the halves' rows are the chunks 0, 2 and 1, 3 of 5)
        assertThat(NoiseCost.of(net, features(rows(R, new double[][] {{1, 1}}, S, new double[][] {{0, 0}}, reversed(R),
                new double[][] {{2, 2}}, rotated(S), new double[][] {{3, 3}})), labels(20), Map.of(layer, P),
                Map.of(layer, 0.5), 5, LossMeasure.MSE, 3)).containsOnlyKeys(layer);
    }

    @Test
    void atDecayZeroEachDrawIsOneChunkOfEachHalf() {
        double[][] x = rows(R, S, R2, rotated(S));
        List<Double> possible = new ArrayList<>();
        List<MeanVariance> half0 = List.of(stats(R), stats(R2));
        for (MeanVariance pick : half0) {
            // half 1's chunks agree: its draws are P
            possible.add(exact(x, JointNoiseCostTest.centredByHand(half0, pick, P), P));
        }
        assertThat(Math.abs(possible.get(0) - possible.get(1))).isGreaterThan(100 * TOL * possible.get(0));
        double cost = NoiseCost.of(net, features(x), labels(16), Map.of(layer, P), Map.of(layer, 0.0), 4, LossMeasure.MSE,
                5).get(layer);
        // the mean of eight draws, each one of the two: k/8 of one and (8-k)/8 of the other for some k
        int match = -1;
        for (int k = 0; k <= NoiseCost.DRAWS; k++) {
            double mean = (k * possible.get(0) + (NoiseCost.DRAWS - k) * possible.get(1)) / NoiseCost.DRAWS;
            if (Math.abs(cost - mean) < TOL * mean) {
                match = k;
            }
        }
        // eight draws of a fair pick between two chunks show both (seeded; (1/2)^7 otherwise)
        assertThat(match).as("draws of the first chunk among %d, cost %s, chunks %s", NoiseCost.DRAWS, cost, possible)
                .isBetween(1, NoiseCost.DRAWS - 1);
    }

    @Test
    void aPreciseLossOfZeroGivesNoCost() {
        // labels the network's own inference output with P written as its moving statistics: the precise loss is 0 to
        // the bit (the same float forward pass), and a ratio over it would be meaningless
        BnNetwork own = TinyBnNetworks.singleBn(NetworkKind.MULTI_LAYER, Layout.DENSE, 2, 1, 1, 0.5,
                VarianceParameterisation.VAR);
        String l = own.bnLayers().get(0).name();
        io.github.bndoctor.dl4j.MovingStatistics.writeAll(own, Map.of(l, P));
        INDArray[] f = features(rows(R, S, reversed(R), rotated(S)));
        INDArray[] y = {own.output(f, false)[0].dup()};
        assertThat(OutputGapProbe.lossWith(own, List.of(new ProbeChunk(f, y)), Map.of(l, P), LossMeasure.MSE)).isZero();
        assertThat(NoiseCost.of(own, f, y, Map.of(l, P), Map.of(l, 0.5), 4, LossMeasure.MSE, 3)).isEmpty();
        assertThat(NoiseCost.together(own, f, y, Map.of(l, P), Map.of(l, 0.5), 4, LossMeasure.MSE, 3)).isEmpty();
    }
}
