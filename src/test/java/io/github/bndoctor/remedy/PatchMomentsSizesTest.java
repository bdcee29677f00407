package io.github.bndoctor.remedy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.bndoctor.remedy.ProjectedStatistics.Path;
import io.github.bndoctor.remedy.ProjectedStatistics.Route;
import java.util.Map;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link PatchMoments}' sizes and reads: the second-moment entries a map needs (the memory bound the
 * listener states, against the closed forms {@code n_in^2}, {@code (k_h k_w C_in)^2} and
 * {@code C_in (k_h k_w)^2}, with non-square kernels so that a swapped or dropped factor shows), the
 * limit applied at, one below and one above it for each map kind, and the bulk read of an array's
 * values in row-major order against element-by-element reads on views, F-order and both float types.
 */
@Tag("unit")
class PatchMomentsSizesTest {
    private static final int C_IN = 5;

    @Test
    void entriesAreTheClosedFormOfEachMapKind() {
        assertThat(PatchMoments.entries(new DenseLayer.Builder().nIn(7).nOut(3).build())).isEqualTo(49);
        // k_h k_w C_in = 3 * 2 * 5 = 30 inputs per position
        assertThat(PatchMoments.entries(new ConvolutionLayer.Builder(3, 2).nIn(C_IN).nOut(4).build())).isEqualTo(900);
        // one (k_h k_w)^2 = 36 block per input channel
        assertThat(PatchMoments.entries(new DepthwiseConvolution2D.Builder(3, 2).nIn(C_IN).depthMultiplier(1).build()))
                .isEqualTo(C_IN * 36L);
    }

    @Test
    void theEntryLimitHoldsAtTheClosedFormAndFallsBackOneBelowForEveryMapKind() {
        MultiLayerNetwork dense = network(new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build(),
                InputType.feedForward(7));
        MultiLayerNetwork conv = network(new ConvolutionLayer.Builder(3, 2).nOut(4).convolutionMode(ConvolutionMode.Same)
                .activation(Activation.IDENTITY).build(), InputType.convolutional(6, 6, C_IN));
        MultiLayerNetwork depthwise = network(new DepthwiseConvolution2D.Builder(3, 2).depthMultiplier(1)
                .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(),
                InputType.convolutional(6, 6, C_IN));
        check(dense, 49);
        check(conv, 900);
        check(depthwise, C_IN * 36L);
    }

    private static void check(MultiLayerNetwork net, long entries) {
        for (long limit : new long[] {entries - 1, entries, entries + 1}) {
            Map<String, Route> routes = ProjectedStatistics.builder().maxEntries(limit).build().routes(net);
            assertThat(routes).hasSize(1);
            Route r = routes.values().iterator().next();
            if (limit < entries) {
                assertThat(r.path()).as("limit %d below %d entries", limit, entries).isEqualTo(Path.MOVING_AVERAGE);
                assertThat(r.reason()).isEqualTo("its feeding layer '0' would need " + entries
                        + " second-moment entries, above the limit of " + limit);
            } else {
                assertThat(r.path()).as("limit %d for %d entries", limit, entries).isEqualTo(Path.PROJECTED);
            }
        }
    }

    private static MultiLayerNetwork network(org.deeplearning4j.nn.conf.layers.Layer map, InputType in) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(map)
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build())
                .setInputType(in).build());
        net.init();
        return net;
    }

    /** An input of the other rank, or with another channel count, is refused with what was expected. */
    @Test
    void anInputOfTheWrongRankOrChannelCountIsRefused() {
        PatchMoments dense = PatchMoments.of(new DenseLayer.Builder().nIn(4).nOut(2).build(), 1, 0, 100, 1, 1);
        assertThatThrownBy(() -> dense.add(Nd4j.zeros(DataType.FLOAT, 2, 1, 2, 2)))
                .isInstanceOf(IllegalStateException.class).hasMessage("a dense map's input of rank 4");
        PatchMoments conv = PatchMoments.of(new ConvolutionLayer.Builder(2, 2).nIn(3).nOut(2).build(), 1, 0, 100, 1, 1);
        assertThatThrownBy(() -> conv.add(Nd4j.zeros(DataType.FLOAT, 2, 12)))
                .isInstanceOf(IllegalStateException.class).hasMessage("a convolution map's input of rank 2");
        assertThatThrownBy(() -> conv.add(Nd4j.zeros(DataType.FLOAT, 2, 4, 5, 5)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("a convolution's input with 4 channels, expected 3");
        assertThat(dense.batches()).isZero();
        assertThat(conv.batches()).isZero();
        dense.add(Nd4j.zeros(DataType.FLOAT, 2, 4));
        conv.add(Nd4j.zeros(DataType.FLOAT, 2, 3, 5, 5));
        conv.add(Nd4j.zeros(DataType.FLOAT, 1, 3, 4, 4));
        assertThat(dense.batches()).isEqualTo(1);
        assertThat(conv.batches()).isEqualTo(2);
    }

    @Test
    void valuesAreRowMajorOnEveryLayoutAndType() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray base = counting().castTo(type);
            INDArray[] layouts = {
                base,                                                        // plain C order
                base.dup('f'),                                               // F order, same values
                base.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all()), // a view at an offset
                base.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 3), NDArrayIndex.all()), // strided view
                base.permute(2, 0, 1),                                       // permuted
                base.get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all()).dup('c'), // a C-order copy
            };
            for (INDArray a : layouts) {
                double[] expected = rowMajor(a);
                assertThat(PatchMoments.values(a)).as("%s %s order %c view %b", type, java.util.Arrays.toString(a.shape()),
                        a.ordering(), a.isView()).containsExactly(expected);
            }
            // the input is left as it was (a bulk copy, not a write)
            assertThat(rowMajor(base)).containsExactly(rowMajor(counting()));
        }
    }

    /** 1, 2, ..., 60 in C order, exact in float. */
    private static INDArray counting() {
        double[] v = new double[60];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        return Nd4j.create(v, new long[] {3, 4, 5}, DataType.DOUBLE);
    }

    /** Element by element, C order, widened to double (exact for float). */
    private static double[] rowMajor(INDArray a) {
        long[] shape = a.shape();
        double[] out = new double[(int) a.length()];
        long[] idx = new long[shape.length];
        for (int i = 0; i < out.length; i++) {
            long rest = i;
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d] = rest % shape[d];
                rest /= shape[d];
            }
            out[i] = a.getDouble(idx);
        }
        return out;
    }
}
