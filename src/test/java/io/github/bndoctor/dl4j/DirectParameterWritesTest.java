package io.github.bndoctor.dl4j;

import io.github.bndoctor.stats.MeanVariance;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Moving statistics written straight into the parameter buffer ({@link VectorWriter}) against
 * DL4J's own write ({@code setParam} of the values cast by ND4J): the same bits, in float and double
 * networks, both variance parameterisations, a multi-layer network and a graph, for values that
 * round to float at a tie, below float's normal range and near its largest. And the backup puts
 * every bit back, NaN payloads included.
 */
@Tag("unit")
class DirectParameterWritesTest {
    private static final int CHANNELS = 12;

    static Stream<Arguments> cases() {
        return Stream.of(DataType.FLOAT, DataType.DOUBLE).flatMap(t -> Stream.of(VarianceParameterisation.values())
                .flatMap(p -> Stream.of(true, false).map(graph -> Arguments.of(t, p, graph))));
    }

    /** Dense 3 -> 12, BN, dense 12 -> 12, BN, output 2: two BN layers whose parameters are views into one flat buffer. */
    private static BnNetwork net(DataType type, VarianceParameterisation p, boolean graph) {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(3).dataType(type);
        BatchNormalization.Builder bn = new BatchNormalization.Builder().nOut(CHANNELS)
                .useLogStd(p == VarianceParameterisation.LOG10_STDEV);
        if (graph) {
            ComputationGraph g = new ComputationGraph(base.graphBuilder().addInputs("in")
                    .addLayer("d0", new DenseLayer.Builder().nOut(CHANNELS).build(), "in")
                    .addLayer("bn0", bn.build(), "d0")
                    .addLayer("d1", new DenseLayer.Builder().nOut(CHANNELS).build(), "bn0")
                    .addLayer("bn1", bn.build(), "d1")
                    .addLayer("out", new OutputLayer.Builder().nOut(2).build(), "bn1")
                    .setOutputs("out").setInputTypes(InputType.feedForward(3)).build());
            g.init();
            return BnNetwork.of(g);
        }
        MultiLayerNetwork m = new MultiLayerNetwork(base.list()
                .layer(new DenseLayer.Builder().nOut(CHANNELS).build()).layer(bn.build())
                .layer(new DenseLayer.Builder().nOut(CHANNELS).build()).layer(bn.build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(3)).build());
        m.init();
        return BnNetwork.of(m);
    }

    /**
     * Means and variances with the awkward cases first: 1 + 2^-24 (a tie between two floats, to even:
     * 1), 1 + 3 2^-24 (a tie, to even: 1 + 2^-22), 1e-40 and 3e-45 (float subnormals), 3e38 (near float's
     * largest), then random values over many binades.
     */
    private static MeanVariance awkward(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] m = new double[CHANNELS];
        double[] v = new double[CHANNELS];
        double[] special = {1 + Math.scalb(1.0, -24), 1 + 3 * Math.scalb(1.0, -24), 1e-40, 3e-45, 3e38};
        for (int c = 0; c < CHANNELS; c++) {
            double x = c < special.length ? special[c] : Math.scalb(1 + r.nextDouble(), r.nextInt(-30, 30));
            m[c] = c % 2 == 0 ? x : -x;
            v[c] = c < special.length && special[c] < 1e38 ? special[c] : Math.scalb(1 + r.nextDouble(), r.nextInt(-20, 20));
        }
        return new MeanVariance(m, v);
    }

    /** Every parameter of the network, as raw bits of its type. */
    private static long[] bits(BnNetwork net) {
        INDArray p = net.params();
        long[] out = new long[(int) p.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = p.dataType() == DataType.FLOAT ? Float.floatToRawIntBits(p.getFloat(i))
                    : Double.doubleToRawLongBits(p.getDouble(i));
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void directWritesStoreWhatDl4jsSetParamStores(DataType type, VarianceParameterisation p, boolean graph) {
        BnNetwork direct = net(type, p, graph);
        BnNetwork dl4j = net(type, p, graph);
        assertThat(bits(direct)).containsExactly(bits(dl4j));
        long seed = 1;
        for (BnLayerRef ref : direct.bnLayers()) {
            assertThat(ref.parameterisation()).isEqualTo(p);
            assertThat(VectorWriter.applies(direct.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN))).isTrue();
            MeanVariance s = awkward(seed++);
            MovingStatistics.put(direct, ref, s);
            // DL4J's route: ND4J casts the doubles to the parameter type, setParam assigns them into the view
            double[] stored = s.variance().clone();
            if (p == VarianceParameterisation.LOG10_STDEV) {
                for (int c = 0; c < stored.length; c++) {
                    stored[c] = Math.log10(Math.sqrt(Math.max(stored[c], VarianceParameterisation.MIN_LOG_VARIANCE)));
                }
            }
            INDArray mean = dl4j.param(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN);
            dl4j.setParam(ref, BatchNormalizationParamInitializer.GLOBAL_MEAN,
                    Nd4j.createFromArray(s.mean()).castTo(type).reshape(mean.shape()));
            dl4j.setParam(ref, p.paramName(), Nd4j.createFromArray(stored).castTo(type).reshape(mean.shape()));
        }
        assertThat(bits(direct)).containsExactly(bits(dl4j));
        // and the values landed in the layers' own views, read back by DL4J's accessors
        BnLayerRef first = direct.bnLayers().get(0);
        assertThat(direct.param(first, BatchNormalizationParamInitializer.GLOBAL_MEAN).getDouble(5))
                .isEqualTo(type == DataType.FLOAT ? (double) (float) awkward(1).mean()[5] : awkward(1).mean()[5]);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void theBackupPutsEveryBitBack(DataType type, VarianceParameterisation p, boolean graph) {
        BnNetwork net = net(type, p, graph);
        BnLayerRef first = net.bnLayers().get(0);
        INDArray mean = net.param(first, BatchNormalizationParamInitializer.GLOBAL_MEAN);
        // a NaN with a payload and a negative zero, which a round trip through another type could change
        if (type == DataType.FLOAT) {
            mean.putScalar(0, Float.intBitsToFloat(0x7fc00123));
        } else {
            mean.putScalar(0, Double.longBitsToDouble(0x7ff8000000000123L));
        }
        mean.putScalar(1, -0.0);
        long[] before = bits(net);
        try (MovingStatisticsBackup ignored = MovingStatisticsBackup.of(net)) {
            for (BnLayerRef ref : net.bnLayers()) {
                MovingStatistics.put(net, ref, awkward(7));
            }
            assertThat(bits(net)).isNotEqualTo(before);
        }
        assertThat(bits(net)).containsExactly(before);
    }

    /**
     * A channel write stores the chosen channels as a whole-layer write would (the same bits as DL4J's setParam
     * route in {@link #directWritesStoreWhatDl4jsSetParamStores}) and leaves every other bit of the network as it was;
     * a non-finite value in a chosen channel or a length off by one changes nothing, one in another channel is not read.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void aChannelWriteStoresTheChosenChannelsAndNoOtherBit(DataType type, VarianceParameterisation p, boolean graph) {
        BnNetwork chosen = net(type, p, graph);
        BnNetwork whole = net(type, p, graph);
        BnLayerRef ref = chosen.bnLayers().get(1);
        MeanVariance s = awkward(3);
        boolean[] which = new boolean[CHANNELS];
        for (int c = 0; c < CHANNELS; c += 3) {
            which[c] = true;
        }
        long[] before = bits(chosen);
        MovingStatistics.writeChannels(chosen, ref, which, s);
        MovingStatistics.put(whole, whole.bnLayers().get(1), s);
        long[] after = bits(chosen);
        long[] written = bits(whole);
        int changed = 0;
        for (int i = 0; i < after.length; i++) {
            // each parameter bit either kept (from before) or as the whole-layer write stored it
            assertThat(after[i] == before[i] || after[i] == written[i]).as("parameter %d", i).isTrue();
            changed += after[i] != before[i] ? 1 : 0;
        }
        // at most a mean and a variance per chosen channel (fewer where the new value rounds to the stored one)
        assertThat(changed).isBetween(1, 2 * 4);
        MeanVariance read = MovingStatistics.read(chosen, ref);
        MeanVariance old = MovingStatistics.read(net(type, p, graph), ref);
        MeanVariance all = MovingStatistics.read(whole, ref);
        for (int c = 0; c < CHANNELS; c++) {
            assertThat(read.mean()[c]).as("mean %d", c).isEqualTo(which[c] ? all.mean()[c] : old.mean()[c]);
            assertThat(read.variance()[c]).as("variance %d", c).isEqualTo(which[c] ? all.variance()[c] : old.variance()[c]);
        }

        double[] nanMean = s.mean().clone();
        nanMean[1] = Double.NaN; // not a chosen channel: not read
        MovingStatistics.writeChannels(chosen, ref, which, new MeanVariance(nanMean, s.variance()));
        assertThat(bits(chosen)).containsExactly(after);
        nanMean[0] = Double.NaN;
        MeanVariance bad = new MeanVariance(nanMean, s.variance());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MovingStatistics.writeChannels(chosen, ref, which, bad))
                .isInstanceOf(NonFiniteStatisticsException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MovingStatistics.writeChannels(chosen, ref,
                new boolean[CHANNELS - 1], s)).isInstanceOf(ShapeMismatchException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MovingStatistics.writeChannels(chosen, ref, which,
                new MeanVariance(new double[CHANNELS + 1], new double[CHANNELS + 1])))
                .isInstanceOf(ShapeMismatchException.class);
        assertThat(bits(chosen)).containsExactly(after);
    }

    @Test
    void stridedAndOffsetViewsAreWrittenInPlace() {
        INDArray m = Nd4j.zeros(DataType.FLOAT, 3, 4);
        INDArray column = m.getColumn(2);
        INDArray row = m.getRow(1);
        assertThat(VectorWriter.applies(column)).isTrue();
        VectorWriter.write(column, new double[] {1, 2, 3});
        VectorWriter.write(row, new double[] {-1, -2, -3, -4});
        assertThat(m.toDoubleMatrix()).isDeepEqualTo(new double[][] {{0, 0, 1, 0}, {-1, -2, -3, -4}, {0, 0, 3, 0}});
        Object raw = VectorWriter.readRaw(column);
        assertThat((float[]) raw).containsExactly(1f, -3f, 3f);
        VectorWriter.write(column, new double[] {9, 9, 9});
        VectorWriter.writeRaw(column, raw);
        assertThat(m.getColumn(2).toDoubleVector()).containsExactly(1, -3, 3);
        assertThat(VectorWriter.applies(Nd4j.zeros(DataType.HALF, 4))).as("neither float nor double").isFalse();
        assertThat(VectorWriter.applies(Nd4j.zeros(DataType.FLOAT, 2, 2))).as("not a vector").isFalse();
    }
}
