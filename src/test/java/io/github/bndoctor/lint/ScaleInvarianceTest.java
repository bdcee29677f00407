package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BnNetwork;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The share {@code v/(v+eps)} against a direct double loop over the dense layer's outputs, with the
 * weights scaled so that the batch variance sits below, at and above {@code eps}.
 */
@Tag("unit")
class ScaleInvarianceTest {
    static final double EPS = 1e-3;
    /** float activations: variance relative error ~1e-6, share error below that */
    static final double TOL = 1e-5;

    private static MultiLayerNetwork net() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nOut(3).hasBias(false).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().eps(EPS).build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(4)).build());
        net.init();
        return net;
    }

    /** Expected share from x W with a double loop (biased variance per output unit). */
    private static double expected(INDArray x, INDArray w) {
        int n = (int) x.size(0);
        int in = (int) w.size(0);
        int out = (int) w.size(1);
        double share = 0;
        for (int j = 0; j < out; j++) {
            double[] z = new double[n];
            double mean = 0;
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < in; i++) {
                    z[r] += x.getDouble(r, i) * w.getDouble(i, j);
                }
                mean += z[r] / n;
            }
            double v = 0;
            for (double zr : z) {
                v += (zr - mean) * (zr - mean) / n;
            }
            share += v / (v + EPS) / out;
        }
        return share;
    }

    @Test
    void shareFollowsTheBatchVarianceAgainstEpsilon() {
        MultiLayerNetwork net = net();
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 4).subi(0.5);
        INDArray w0 = net.getLayer(0).getParam("W").dup();
        double previous = 0;
        // weight scales putting the variance well below, near and well above eps
        for (double k : new double[] {1e-3, 1e-2, 0.1, 1, 10}) {
            net.getLayer(0).setParam("W", w0.mul(k));
            double want = expected(x, net.getLayer(0).getParam("W"));
            Map<String, Double> got = ScaleInvariance.of(BnNetwork.of(net), new INDArray[] {x});
            assertThat(got).containsOnlyKeys("layer1");
            assertThat(got.get("layer1")).as("scale %s", k).isCloseTo(want, within(TOL));
            assertThat(got.get("layer1")).isGreaterThan(previous);
            previous = got.get("layer1");
        }
        assertThat(previous).as("variance >> eps: scale-invariant").isGreaterThan(0.99);
        net.getLayer(0).setParam("W", w0.mul(1e-3));
        assertThat(ScaleInvariance.of(BnNetwork.of(net), new INDArray[] {x}).get("layer1")).as("variance << eps")
                .isLessThan(0.01);
    }
}
