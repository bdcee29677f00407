package io.github.bndoctor.testkit;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/**
 * A full-width MobileNetV2 backbone (Sandler et al., "MobileNetV2: Inverted Residuals and Linear
 * Bottlenecks", CVPR 2018, table 2, width 1.0: stem 3x3/2 to 32, seventeen inverted-residual
 * blocks, 1x1 to 1280) with a 1x1 heatmap head to 16 channels (bias, sigmoid + MSE), NCHW, as a
 * DL4J {@link ComputationGraph}. With DL4J counting each BN layer's gamma, beta, mean and variance it
 * has {@value #PARAMETERS} parameters: Keras' {@code MobileNetV2(alpha=1, include_top=False)}
 * total (2,257,984, the same four per BN channel) plus the head's 1280 x 16 + 16.
 */
public final class FullMobileNetV2 {
    /** Parameters, BN statistics included. */
    public static final long PARAMETERS = 2_278_480L;
    /** Heatmap channels. */
    public static final int HEATMAPS = 16;
    /** {expansion t, output channels c, repeats n, first stride s}, the paper's table 2. */
    private static final int[][] STAGES = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1},
        {6, 160, 3, 2}, {6, 320, 1, 1}};

    private FullMobileNetV2() {
    }

    /**
     * @param size input height and width (3 channels)
     * @param seed weight seed
     * @return the initialised graph
     */
    public static ComputationGraph build(int size, long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Adam(1e-3)).weightInit(WeightInit.XAVIER)
                .convolutionMode(ConvolutionMode.Same).graphBuilder().addInputs("input")
                .setInputTypes(InputType.convolutional(size, size, 3));
        String last = conv(g, "stem", "input", 3, 2, 32, true);
        int channels = 32;
        int block = 0;
        for (int[] s : STAGES) {
            for (int i = 0; i < s[2]; i++) {
                int stride = i == 0 ? s[3] : 1;
                String p = "b" + block++;
                String in = last;
                String x = s[0] == 1 ? in : conv(g, p + "_expand", in, 1, 1, channels * s[0], true);
                g.addLayer(p + "_dw", new DepthwiseConvolution2D.Builder(3, 3).stride(stride, stride).depthMultiplier(1)
                        .hasBias(false).activation(Activation.IDENTITY).build(), x);
                g.addLayer(p + "_dw_bn", new BatchNormalization.Builder().build(), p + "_dw");
                g.addLayer(p + "_dw_relu6", new ActivationLayer.Builder().activation(Activation.RELU6).build(), p + "_dw_bn");
                last = conv(g, p + "_project", p + "_dw_relu6", 1, 1, s[1], false);
                if (stride == 1 && channels == s[1]) {
                    g.addVertex(p + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), last, in);
                    last = p + "_add";
                }
                channels = s[1];
            }
        }
        last = conv(g, "top", last, 1, 1, 1280, true);
        g.addLayer("head", new ConvolutionLayer.Builder(1, 1).nOut(HEATMAPS).hasBias(true)
                .activation(Activation.IDENTITY).build(), last);
        g.addLayer("output", new CnnLossLayer.Builder(new LossMSE()).activation(Activation.SIGMOID).build(), "head");
        g.setOutputs("output");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    private static String conv(ComputationGraphConfiguration.GraphBuilder g, String prefix, String input, int kernel,
            int stride, int nOut, boolean relu6) {
        g.addLayer(prefix + "_conv", new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(nOut)
                .hasBias(false).activation(Activation.IDENTITY).build(), input);
        g.addLayer(prefix + "_bn", new BatchNormalization.Builder().build(), prefix + "_conv");
        if (!relu6) {
            return prefix + "_bn";
        }
        g.addLayer(prefix + "_relu6", new ActivationLayer.Builder().activation(Activation.RELU6).build(), prefix + "_bn");
        return prefix + "_relu6";
    }
}
