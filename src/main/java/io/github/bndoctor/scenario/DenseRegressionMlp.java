package io.github.bndoctor.scenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/**
 * The dense scenario's network: a multilayer perceptron with batch norm for
 * {@link DenseRegressionData}, built as a {@link ComputationGraph}.
 *
 * <p>Layout: {@value #HIDDEN_LAYERS} hidden blocks {@code hN_dense} ({@value #WIDTH} units, no
 * bias), {@code hN_bn}, {@code hN_relu}, then {@code output}: dense to one unit with bias,
 * identity, MSE. The dense weights before each batch norm are scale-invariant. With batches of 4
 * to 8 every batch variance is biased by {@code (m-1)/m} (0.75 at m = 4) and noisy, so training
 * mode itself is far from the population statistics: the setting where batch noise and EMA lag
 * occur together. Regularisation and initialisation as in {@link MobileNetV2Like}.
 */
public final class DenseRegressionMlp {

    /** Hidden units per layer. */
    public static final int WIDTH = 32;
    /** Number of dense + batch-norm + ReLU blocks. */
    public static final int HIDDEN_LAYERS = 3;

    private DenseRegressionMlp() {
    }

    /**
     * @param config the scenario configuration ({@code keypoints}, {@code sigma} and
     *     {@code meanNormalisedLoss} are not used)
     * @return an initialised graph (moving statistics at DL4J's defaults)
     */
    public static ComputationGraph build(ScenarioConfig config) {
        return MobileNetV2Like.initialised(configuration(config));
    }

    /** @return names of the batch-norm layers in forward order */
    public static List<String> batchNormLayerNames() {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= HIDDEN_LAYERS; i++) {
            names.add("h" + i + "_bn");
        }
        return Collections.unmodifiableList(names);
    }

    /**
     * @param config the scenario configuration
     * @return the graph configuration (not initialised)
     */
    public static ComputationGraphConfiguration configuration(ScenarioConfig config) {
        ComputationGraphConfiguration.GraphBuilder g = MobileNetV2Like.graphBuilder(config)
                .setInputTypes(InputType.feedForward(DenseRegressionData.INPUTS));
        String last = MobileNetV2Like.INPUT;
        for (int i = 1; i <= HIDDEN_LAYERS; i++) {
            String p = "h" + i;
            DenseLayer.Builder dense = new DenseLayer.Builder().nOut(WIDTH).hasBias(false)
                    .activation(Activation.IDENTITY);
            MobileNetV2Like.regularise(dense, config);
            g.addLayer(p + "_dense", dense.build(), last);
            g.addLayer(p + "_bn", MobileNetV2Like.batchNorm(config), p + "_dense");
            g.addLayer(p + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), p + "_bn");
            last = p + "_relu";
        }
        OutputLayer.Builder out = new OutputLayer.Builder(new LossMSE()).nOut(1).activation(Activation.IDENTITY);
        MobileNetV2Like.regularise(out, config);
        g.addLayer(MobileNetV2Like.OUTPUT, out.build(), last);
        g.setOutputs(MobileNetV2Like.OUTPUT);
        return g.build();
    }
}
