package io.github.bndoctor.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The oneDNN layer helpers that {@link NativeSpeedSettings} lets DL4J create: they are really
 * created exactly when the natives have oneDNN, and a network trained with them computes what
 * DL4J's own Java path computes, up to float rounding: forward outputs in both modes, the moving
 * statistics after a step and the parameters after a step.
 */
final class NativeSpeedSettingsTest {

    /**
     * Relative tolerance: the two paths sum the same 8*6*6 = 288 products per channel in a
     * different order; float32 summation of n terms errs by at most (n-1)*u*sum|x| with u = 6e-8,
     * 288 * 6e-8 = 1.7e-5 of the magnitude, times a few chained operations, bounded by 1e-4.
     */
    private static final double REL_TOL = 1e-4;

    @Test
    void helpersAreCreatedExactlyWhenTheNativesHaveOneDnn() {
        MultiLayerNetwork net = build(true, 1);
        Object bnHelper = ((org.deeplearning4j.nn.layers.normalization.BatchNormalization) net.getLayer(1)).getHelper();
        Object convHelper = ((org.deeplearning4j.nn.layers.convolution.ConvolutionLayer) net.getLayer(0)).getHelper();
        if (BackendInfo.hasOneDnn(BackendInfo.nativeBuildInfo())) {
            assertThat(NativeSpeedSettings.oneDnnHelpersActive()).isTrue();
            assertThat(bnHelper).isInstanceOf(org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper.class);
            assertThat(convHelper).isInstanceOf(org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper.class);
        } else {
            assertThat(NativeSpeedSettings.oneDnnHelpersActive()).isFalse();
            assertThat(bnHelper).isNull();
            assertThat(convHelper).isNull();
        }
        MultiLayerNetwork plain = build(false, 1);
        assertThat(((org.deeplearning4j.nn.layers.normalization.BatchNormalization) plain.getLayer(1)).getHelper())
                .as("helpers switched off by the property").isNull();
    }

    @Test
    void theHelperPathComputesWhatTheJavaPathComputes() {
        MultiLayerNetwork fast = build(true, 7);
        MultiLayerNetwork plain = build(false, 7);
        assertThat(fast.params().equals(plain.params())).as("same initial parameters").isTrue();
        Random rnd = new Random(11);
        for (int step = 0; step < 3; step++) {
            DataSet batch = batch(rnd);
            assertClose(fast.output(batch.getFeatures(), true), plain.output(batch.getFeatures(), true), "train-mode output");
            assertClose(fast.output(batch.getFeatures(), false), plain.output(batch.getFeatures(), false), "inference output");
            fast.fit(batch);
            plain.fit(batch);
            assertClose(fast.getLayer(1).getParam("mean"), plain.getLayer(1).getParam("mean"), "moving mean, step " + step);
            assertClose(fast.getLayer(1).getParam("log10stdev"), plain.getLayer(1).getParam("log10stdev"),
                    "moving log10 std, step " + step);
            assertClose(fast.params(), plain.params(), "parameters after step " + step);
        }
        assertThat(fast.params().sub(plain.params()).amaxNumber().doubleValue()).as("the step moved something").isLessThan(1.0);
    }

    private static void assertClose(INDArray actual, INDArray expected, String what) {
        double[] a = actual.dup().data().asDouble();
        double[] e = expected.dup().data().asDouble();
        assertThat(a).hasSameSizeAs(e);
        double scale = 0;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < a.length; i++) {
            assertThat(Math.abs(a[i] - e[i])).as("%s [%d]: %s vs %s", what, i, a[i], e[i])
                    .isLessThanOrEqualTo(REL_TOL * Math.max(scale, 1e-3));
        }
    }

    private static DataSet batch(Random rnd) {
        INDArray x = Nd4j.create(DataType.FLOAT, 8, 2, 6, 6);
        INDArray y = Nd4j.create(DataType.FLOAT, 8, 1, 6, 6);
        for (long i = 0; i < x.length(); i++) {
            x.putScalar(i, rnd.nextGaussian() * 2 + 0.5);
        }
        for (long i = 0; i < y.length(); i++) {
            y.putScalar(i, rnd.nextDouble());
        }
        return new DataSet(x, y);
    }

    private static MultiLayerNetwork build(boolean helpers, long seed) {
        String key = NativeSpeedSettings.HELPERS_DISABLE_PROPERTY;
        String before = System.getProperty(key);
        System.setProperty(key, Boolean.toString(!helpers));
        try {
            MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).updater(new Adam(1e-2))
                    .dataType(DataType.FLOAT).list()
                    .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(
                            org.deeplearning4j.nn.conf.ConvolutionMode.Same).hasBias(false).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().decay(0.9).eps(1e-3).build())
                    .layer(new ConvolutionLayer.Builder(1, 1).nOut(1).activation(Activation.IDENTITY).build())
                    .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.SIGMOID).build())
                    .setInputType(InputType.convolutional(6, 6, 2)).build();
            MultiLayerNetwork net = new MultiLayerNetwork(conf);
            net.init();
            return net;
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }
}
