package io.github.bndoctor.scenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.TruncatedNormalDistribution;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/**
 * Builds the seed scenario's MobileNetV2-like heatmap network as a DL4J {@link ComputationGraph}.
 *
 * <p>Layout (NCHW, input {@code [b,1,32,32]}, "same" padding):
 * <pre>
 *   stem_conv 3x3/2 1->8, stem_bn, stem_relu6                          16x16
 *   b1: expand 1x1 8->16, dw 3x3/2, project 16->16                     8x8
 *   b2: expand 1x1 16->32, dw 3x3/1, project 32->16, residual add      8x8
 *   b3: expand 1x1 16->32, dw 3x3/1, project 32->16, residual add      8x8
 *   head_conv 1x1 16->K (bias, no activation), output: sigmoid + MSE   8x8
 * </pre>
 * Every expand, depthwise and project convolution is followed by batch normalisation
 * ({@code bN_expand_bn}, {@code bN_dw_bn}, {@code bN_project_bn}); expand and depthwise are then
 * ReLU6, project is linear (as in MobileNetV2). Convolutions before a BN have no bias, so their
 * weights are scale-invariant: exactly the weights Adam rotates quickly. 4,122 parameters with
 * K = 2 (including moving statistics). The network reaches the output resolution in the first
 * block and keeps depthwise convolutions at 16-32 channels because DL4J M2.1's CPU
 * {@code depthwise_conv2d} (no oneDNN in the plain {@code linux-x86_64} natives) costs more than
 * a full 3x3 convolution of that size (figures in {@code docs/record.md} and
 * {@code fixtures/scenario-calibration.md}).
 *
 * <p>Regularisation follows the PyTorch reproduction of the seed report ({@code docs/background.md}): L2 (coupled, added to the
 * gradient before the updater) and weight decay (decoupled) on the regular convolutions (stem,
 * expand, project) and the head only, not on depthwise convolutions and not on BN gamma/beta.
 * Weights are drawn from a truncated normal with the configured standard deviation (0.09 in the seed
 * report's PyTorch reproduction). Batch norm uses the configured epsilon ({@value #BN_EPSILON}, TensorFlow's MobileNetV2
 * value, unless set) and the configured decay.
 *
 * <p>The loss layer is a {@link CnnLossLayer} with {@link LossMSE}. DL4J sums that loss over the
 * {@code R^2 = 64} output pixels; with {@link ScenarioConfig#meanNormalisedLoss()} the per-channel
 * weights {@code 1/R^2} turn it into the per-pixel mean, which is the scale the L2 coefficients in
 * the presets refer to.
 */
public final class MobileNetV2Like {

    /** Batch-norm epsilon (TensorFlow/Keras MobileNetV2 uses 1e-3). */
    public static final double BN_EPSILON = 1e-3;
    /** Name of the graph input. */
    public static final String INPUT = "input";
    /** Name of the loss (output) layer. */
    public static final String OUTPUT = "output";

    private static final int STEM_CHANNELS = 8;
    /** Inverted-residual blocks: {expansion factor, output channels, depthwise stride}. */
    private static final int[][] BLOCKS = {{2, 16, 2}, {2, 16, 1}, {2, 16, 1}};

    private MobileNetV2Like() {
    }

    /**
     * Builds and initialises the graph (weights seeded by {@link ScenarioConfig#seed()}). Moving
     * statistics are DL4J's defaults (mean 0, variance 1); {@link ScenarioRun} applies the warm
     * start if configured.
     *
     * @param config the scenario configuration
     * @return an initialised graph
     */
    public static ComputationGraph build(ScenarioConfig config) {
        return initialised(configuration(config));
    }

    /**
     * @param configuration a scenario network's configuration
     * @return the graph, initialised (weights drawn from the configuration's seed)
     */
    static ComputationGraph initialised(ComputationGraphConfiguration configuration) {
        ComputationGraph graph = new ComputationGraph(configuration);
        graph.init();
        return graph;
    }

    /**
     * Names of all batch-norm layers in forward order, e.g. {@code stem_bn}, {@code b1_expand_bn},
     * {@code b1_dw_bn}, {@code b1_project_bn}, ...
     *
     * @return an unmodifiable list
     */
    public static List<String> batchNormLayerNames() {
        List<String> names = new ArrayList<>();
        names.add("stem_bn");
        for (int i = 1; i <= BLOCKS.length; i++) {
            names.add("b" + i + "_expand_bn");
            names.add("b" + i + "_dw_bn");
            names.add("b" + i + "_project_bn");
        }
        return Collections.unmodifiableList(names);
    }

    /**
     * @param config the scenario configuration
     * @return the graph configuration (not initialised)
     */
    public static ComputationGraphConfiguration configuration(ScenarioConfig config) {
        ComputationGraphConfiguration.GraphBuilder g = graphBuilder(config)
                .setInputTypes(InputType.convolutional(ScenarioConfig.IMAGE_SIZE, ScenarioConfig.IMAGE_SIZE, 1));

        String last = convBnAct(g, config, "stem", INPUT, 3, 2, STEM_CHANNELS, true);
        int channels = STEM_CHANNELS;
        for (int i = 0; i < BLOCKS.length; i++) {
            int expanded = channels * BLOCKS[i][0];
            int out = BLOCKS[i][1];
            int stride = BLOCKS[i][2];
            String p = "b" + (i + 1);
            String expand = convBnAct(g, config, p + "_expand", last, 1, 1, expanded, true);
            g.addLayer(p + "_dw", new DepthwiseConvolution2D.Builder(3, 3).stride(stride, stride)
                    .depthMultiplier(1).hasBias(false).activation(Activation.IDENTITY).build(), expand);
            g.addLayer(p + "_dw_bn", batchNorm(config), p + "_dw");
            g.addLayer(p + "_dw_relu6", new ActivationLayer.Builder().activation(Activation.RELU6).build(), p + "_dw_bn");
            String project = convBnAct(g, config, p + "_project", p + "_dw_relu6", 1, 1, out, false);
            if (stride == 1 && channels == out) {
                g.addVertex(p + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), project, last);
                last = p + "_add";
            } else {
                last = project;
            }
            channels = out;
        }

        addHeatmapHead(g, config, last);
        return g.build();
    }

    /**
     * The settings every scenario network shares: seed, float data, the configured updater,
     * truncated-normal initialisation with the configured standard deviation, "same" padding, and
     * one input named {@value #INPUT}.
     *
     * @param config the scenario configuration
     * @return a graph builder with the input added (input type not yet set)
     */
    static ComputationGraphConfiguration.GraphBuilder graphBuilder(ScenarioConfig config) {
        return new NeuralNetConfiguration.Builder()
                .seed(config.seed())
                .dataType(DataType.FLOAT)
                .updater(config.optimizer().updater(config.learningRate(), config.momentum()))
                .weightInit(new WeightInitDistribution(new TruncatedNormalDistribution(0.0, config.initStd())))
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs(INPUT);
    }

    /**
     * Adds the heatmap head shared by the pose scenarios: {@code head_conv} 1x1 to K channels with
     * bias ({@link #headBiasPrior}) and no activation, then the {@value #OUTPUT} loss layer
     * (sigmoid + MSE, per-pixel mean if {@link ScenarioConfig#meanNormalisedLoss()}), set as the
     * graph's output.
     *
     * @param g the graph builder
     * @param config the scenario configuration
     * @param last the vertex feeding the head (at the heatmap resolution)
     */
    static void addHeatmapHead(ComputationGraphConfiguration.GraphBuilder g, ScenarioConfig config, String last) {
        ConvolutionLayer.Builder head = new ConvolutionLayer.Builder(1, 1).nOut(config.keypoints())
                .hasBias(true).biasInit(headBiasPrior(config.sigma())).activation(Activation.IDENTITY);
        regularise(head, config);
        g.addLayer("head_conv", head.build(), last);

        int pixels = ScenarioConfig.HEATMAP_SIZE * ScenarioConfig.HEATMAP_SIZE;
        LossMSE loss = config.meanNormalisedLoss()
                ? new LossMSE(Nd4j.valueArrayOf(new long[] {1, config.keypoints()}, 1.0 / pixels, DataType.FLOAT))
                : new LossMSE();
        g.addLayer(OUTPUT, new CnnLossLayer.Builder(loss).activation(Activation.SIGMOID).build(), "head_conv");
        g.setOutputs(OUTPUT);
    }

    /**
     * Initial head bias: the logit of the mean heatmap value {@code p = 2 pi sigma^2 / R^2} (the
     * integral of a unit Gaussian over the {@code R x R} map), the usual prior initialisation of a
     * sigmoid heatmap head. Without it the outputs start at sigmoid(0) = 0.5 and the first few
     * hundred iterations pull every layer's statistics down at once, which the ~333-iteration
     * moving average at decay 0.997 trails for every optimizer (calibration: inference/training
     * ratio up to 1.7 for Nesterov and 1.8+ for Adam 1e-4 with a zero bias), masking the
     * optimizer-specific lag.
     *
     * @param sigma heatmap sigma in heatmap pixels
     * @return the bias, e.g. -2.22 for sigma 1 and R = 8
     */
    static double headBiasPrior(double sigma) {
        double pixels = ScenarioConfig.HEATMAP_SIZE * ScenarioConfig.HEATMAP_SIZE;
        double p = Math.min(0.5, 2 * Math.PI * sigma * sigma / pixels);
        return Math.log(p / (1 - p));
    }

    private static String convBnAct(ComputationGraphConfiguration.GraphBuilder g, ScenarioConfig config,
            String prefix, String input, int kernel, int stride, int nOut, boolean relu6) {
        ConvolutionLayer.Builder conv = new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride)
                .nOut(nOut).hasBias(false).activation(Activation.IDENTITY);
        regularise(conv, config);
        g.addLayer(prefix + "_conv", conv.build(), input);
        g.addLayer(prefix + "_bn", batchNorm(config), prefix + "_conv");
        if (!relu6) {
            return prefix + "_bn";
        }
        g.addLayer(prefix + "_relu6", new ActivationLayer.Builder().activation(Activation.RELU6).build(), prefix + "_bn");
        return prefix + "_relu6";
    }

    static BatchNormalization batchNorm(ScenarioConfig config) {
        return new BatchNormalization.Builder().decay(config.bnDecay()).eps(config.bnEpsilon()).build();
    }

    static void regularise(BaseLayer.Builder<?> layer, ScenarioConfig config) {
        if (config.l2() > 0) {
            layer.l2(config.l2());
        }
        if (config.weightDecay() > 0) {
            layer.weightDecay(config.weightDecay());
        }
    }
}
