package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.NonFiniteStatisticsException;
import io.github.bndoctor.dl4j.NoBatchNormException;
import io.github.bndoctor.dl4j.ParameterSnapshot;
import io.github.bndoctor.dl4j.ShapeMismatchException;
import io.github.bndoctor.probe.EmptyDataException;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Precise-BN recalibration: what it writes, and that bad input leaves the network bit-identical. */
@Tag("unit")
class PreciseBnTest {

    private static DataSetIterator iterator(List<INDArray[]> batches) {
        List<DataSet> ds = new ArrayList<>();
        for (INDArray[] b : batches) {
            ds.add(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        return new ListDataSetIterator<>(ds, 1);
    }

    /**
     * After recalibrating on one batch with the mean-of-batch-variances estimator, the moving
     * statistics are that batch's statistics, so inference mode on that batch reproduces training
     * mode. Outputs are float: the two paths differ in rounding only (sqrt of var+eps stored as
     * log10 std, then squared: a few ulps of each activation; 1e-4 absolute on softmax outputs).
     */
    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void recalibratedOnOneBatchInferenceEqualsTrainingModeOnIt(NetworkKind kind) {
        for (Layout layout : Layout.values()) {
            BnNetwork net = ProbeFixtures.net(kind, layout);
            INDArray[] batch = ProbeFixtures.batches(layout, 1, 31).get(0);
            INDArray trainMode = net.output(batch, true)[0];
            assertThat(net.output(batch, false)[0].sub(trainMode).amaxNumber().doubleValue())
                    .as("before: moving statistics are the (0, 1) prior").isGreaterThan(1e-3);
            PreciseBn.recalibrate(net, iterator(List.<INDArray[]>of(batch)), 8, PopulationEstimator.MEAN_OF_BATCH_VARIANCES);
            assertThat(net.output(batch, false)[0].sub(trainMode).amaxNumber().doubleValue())
                    .as("%s %s", kind, layout).isCloseTo(0, within(1e-4));
        }
    }

    @Test
    void badInputsAreTypedAndLeaveTheNetworkBitIdentical() {
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.NCHW);
        ParameterSnapshot before = ParameterSnapshot.of(net);
        assertThatThrownBy(() -> PreciseBn.recalibrate(net, iterator(List.of()), 16))
                .isInstanceOf(EmptyDataException.class);
        List<INDArray[]> withNan = ProbeFixtures.batches(Layout.NCHW, 3, 4);
        withNan.get(2)[0].putScalar(new long[] {1, 0, 1, 1}, Double.NaN);
        assertThatThrownBy(() -> PreciseBn.recalibrate(net, iterator(withNan), 24))
                .isInstanceOf(NonFiniteStatisticsException.class).hasMessageContaining("bn1");
        List<INDArray[]> wrongShape = ProbeFixtures.batches(Layout.NCHW, 2, 4);
        wrongShape.add(new INDArray[] {Nd4j.rand(DataType.FLOAT, 8, 3, 4, 4)});
        assertThatThrownBy(() -> PreciseBn.recalibrate(net, iterator(wrongShape), 24))
                .isInstanceOf(ShapeMismatchException.class);
        DataSetIterator failing = new ListDataSetIterator<>(List.of(new DataSet(
                ProbeFixtures.batches(Layout.NCHW, 1, 5).get(0)[0], Nd4j.zeros(8, 2)))) {
            private int calls;

            @Override
            public DataSet next() {
                if (++calls > 1) {
                    throw new IllegalStateException("disk gone");
                }
                return super.next();
            }

            @Override
            public boolean hasNext() {
                return true;
            }
        };
        assertThatThrownBy(() -> PreciseBn.recalibrate(net, failing, 24)).hasMessageContaining("disk gone");
        assertThat(net).hasParametersIdenticalTo(before);

        MultiLayerNetwork plain = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(2).nOut(2).build())
                .layer(new OutputLayer.Builder().nIn(2).nOut(2).build()).build());
        plain.init();
        assertThatThrownBy(() -> PreciseBn.recalibrate(BnNetwork.of(plain), iterator(withNan), 8))
                .isInstanceOf(NoBatchNormException.class);
    }

    @Test
    void decayRecommendationInvertsThePredictedLag() {
        double d = Recommendations.largestDecayWithinBudget(0.05, 5);
        assertThat(0.05 * d / (1 - d)).isCloseTo(5, within(1e-12));
        assertThatThrownBy(() -> Recommendations.largestDecayWithinBudget(0, 5)).isInstanceOf(IllegalArgumentException.class);
    }
}
