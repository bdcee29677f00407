package io.github.bndoctor.scenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;

/**
 * A small ResNet-style heatmap network for the pose task of {@link PoseDataGenerator}: plain 3x3
 * convolution, batch norm, ReLU, with identity shortcuts (He et al., "Deep Residual Learning for
 * Image Recognition", CVPR 2016, basic block).
 *
 * <p>Layout (NCHW, input {@code [b,1,32,32]}, "same" padding):
 * <pre>
 *   stem_conv 3x3/2 1->16, stem_bn, stem_relu                               16x16
 *   down_conv 3x3/2 16->16, down_bn, down_relu                              8x8
 *   rN (N = 1, 2): rN_a_conv 3x3 16->16, rN_a_bn, rN_a_relu,
 *                  rN_b_conv 3x3 16->16, rN_b_bn, rN_add (+ block input), rN_relu  8x8
 *   head_conv 1x1 16->K (bias, no activation), output: sigmoid + MSE        8x8
 * </pre>
 * Six batch-norm layers; every convolution before one has no bias, so its weights are
 * scale-invariant. Regularisation, initialisation and head are those of {@link MobileNetV2Like}.
 */
public final class ResNetLike {

    private static final int CHANNELS = 16;
    private static final int BLOCKS = 2;

    private ResNetLike() {
    }

    /**
     * @param config the scenario configuration
     * @return an initialised graph (moving statistics at DL4J's defaults)
     */
    public static ComputationGraph build(ScenarioConfig config) {
        return MobileNetV2Like.initialised(configuration(config));
    }

    /** @return names of the batch-norm layers in forward order */
    public static List<String> batchNormLayerNames() {
        List<String> names = new ArrayList<>(List.of("stem_bn", "down_bn"));
        for (int i = 1; i <= BLOCKS; i++) {
            names.add("r" + i + "_a_bn");
            names.add("r" + i + "_b_bn");
        }
        return Collections.unmodifiableList(names);
    }

    /**
     * @param config the scenario configuration
     * @return the graph configuration (not initialised)
     */
    public static ComputationGraphConfiguration configuration(ScenarioConfig config) {
        ComputationGraphConfiguration.GraphBuilder g = MobileNetV2Like.graphBuilder(config)
                .setInputTypes(InputType.convolutional(ScenarioConfig.IMAGE_SIZE, ScenarioConfig.IMAGE_SIZE, 1));
        String last = conv3x3BnRelu(g, config, "stem", MobileNetV2Like.INPUT, 2, true);
        last = conv3x3BnRelu(g, config, "down", last, 2, true);
        for (int i = 1; i <= BLOCKS; i++) {
            String p = "r" + i;
            String a = conv3x3BnRelu(g, config, p + "_a", last, 1, true);
            String b = conv3x3BnRelu(g, config, p + "_b", a, 1, false);
            g.addVertex(p + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), b, last);
            g.addLayer(p + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), p + "_add");
            last = p + "_relu";
        }
        MobileNetV2Like.addHeatmapHead(g, config, last);
        return g.build();
    }

    private static String conv3x3BnRelu(ComputationGraphConfiguration.GraphBuilder g, ScenarioConfig config,
            String prefix, String input, int stride, boolean relu) {
        ConvolutionLayer.Builder conv = new ConvolutionLayer.Builder(3, 3).stride(stride, stride).nOut(CHANNELS)
                .hasBias(false).activation(Activation.IDENTITY);
        MobileNetV2Like.regularise(conv, config);
        g.addLayer(prefix + "_conv", conv.build(), input);
        g.addLayer(prefix + "_bn", MobileNetV2Like.batchNorm(config), prefix + "_conv");
        if (!relu) {
            return prefix + "_bn";
        }
        g.addLayer(prefix + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), prefix + "_bn");
        return prefix + "_relu";
    }
}
