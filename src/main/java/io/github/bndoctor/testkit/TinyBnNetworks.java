package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.InvalidDecayException;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

/**
 * Small, real DL4J networks with BN layers, of either {@link NetworkKind}, in any {@link Layout}.
 */
public final class TinyBnNetworks {
    private TinyBnNetworks() {
    }

    /**
     * A BN layer fed directly by the network input, followed by an MSE loss on its output. Its
     * moving statistics after {@code fit} depend only on the data, which makes it the subject of
     * the convergence properties. The updater is SGD with learning rate 0, so gamma and beta stay
     * at 1 and 0 (DL4J still updates the moving statistics: they use their own no-op updater).
     *
     * @param kind network type
     * @param layout input layout
     * @param channels channels
     * @param height spatial height (1 for dense)
     * @param width spatial width (1 for dense)
     * @param decay BN decay
     * @param parameterisation how the moving variance is stored
     * @return the initialised network
     */
    public static BnNetwork singleBn(NetworkKind kind, Layout layout, int channels, int height, int width,
                                     double decay, VarianceParameterisation parameterisation) {
        InvalidDecayException.check(decay);
        BatchNormalization bn = bn(layout, channels, decay, parameterisation);
        Layer loss = layout == Layout.DENSE
                ? new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build()
                : new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .format(format(layout)).build();
        return build(kind, inputType(layout, channels, height, width), new Sgd(0.0), 1L, List.of(bn, loss));
    }

    /**
     * Two blocks of (dense or 3x3 convolution, BN, ReLU) and a 2-class softmax output: a small
     * network whose second BN layer sees activations computed by the first.
     *
     * @param kind network type
     * @param layout input layout
     * @param inChannels input channels
     * @param width hidden width (channels of both blocks)
     * @param size spatial size (1 for dense)
     * @param decay BN decay of both BN layers
     * @param parameterisation how the moving variance is stored
     * @param updater the optimizer
     * @param seed weight initialisation seed
     * @return the initialised network
     */
    public static BnNetwork twoBlocks(NetworkKind kind, Layout layout, int inChannels, int width, int size,
                                      double decay, VarianceParameterisation parameterisation, IUpdater updater,
                                      long seed) {
        InvalidDecayException.check(decay);
        Layer first;
        Layer second;
        if (layout == Layout.DENSE) {
            first = new DenseLayer.Builder().nOut(width).activation(Activation.IDENTITY).build();
            second = new DenseLayer.Builder().nOut(width).activation(Activation.IDENTITY).build();
        } else {
            first = conv(width, layout);
            second = conv(width, layout);
        }
        Layer pool = layout == Layout.DENSE ? null
                : new GlobalPoolingLayer.Builder(PoolingType.AVG).build();
        Layer out = new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                .activation(Activation.SOFTMAX).build();
        List<Layer> layers = new java.util.ArrayList<>(List.of(
                first, bn(layout, width, decay, parameterisation), new ActivationLayer(Activation.RELU),
                second, bn(layout, width, decay, parameterisation), new ActivationLayer(Activation.RELU)));
        if (pool != null) {
            layers.add(pool);
        }
        layers.add(out);
        return build(kind, inputType(layout, inChannels, size, size), updater, seed, layers);
    }

    private static ConvolutionLayer conv(int width, Layout layout) {
        return new ConvolutionLayer.Builder(3, 3).nOut(width).convolutionMode(ConvolutionMode.Same)
                .dataFormat(format(layout)).activation(Activation.IDENTITY).build();
    }

    private static BatchNormalization bn(Layout layout, int channels, double decay,
                                         VarianceParameterisation parameterisation) {
        BatchNormalization.Builder b = new BatchNormalization.Builder().nOut(channels).decay(decay)
                .useLogStd(parameterisation == VarianceParameterisation.LOG10_STDEV);
        if (layout != Layout.DENSE) {
            b.dataFormat(format(layout));
        }
        return b.build();
    }

    private static CNN2DFormat format(Layout layout) {
        return layout == Layout.NHWC ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
    }

    private static InputType inputType(Layout layout, int channels, int height, int width) {
        return layout == Layout.DENSE ? InputType.feedForward(channels)
                : InputType.convolutional(height, width, channels, format(layout));
    }

    private static BnNetwork build(NetworkKind kind, InputType inputType, IUpdater updater, long seed,
                                   List<Layer> layers) {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(seed).updater(updater)
                .weightInit(WeightInit.XAVIER);
        if (kind == NetworkKind.MULTI_LAYER) {
            NeuralNetConfiguration.ListBuilder list = base.list();
            for (Layer l : layers) {
                list.layer(l);
            }
            MultiLayerConfiguration conf = list.setInputType(inputType).build();
            MultiLayerNetwork net = new MultiLayerNetwork(conf);
            net.init();
            return BnNetwork.of(net);
        }
        ComputationGraphConfiguration.GraphBuilder g = base.graphBuilder().addInputs("in");
        String previous = "in";
        int bnCount = 0;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String name = l instanceof BatchNormalization ? "bn" + (++bnCount) : "l" + i;
            g.addLayer(name, l, previous);
            previous = name;
        }
        ComputationGraph graph = new ComputationGraph(g.setOutputs(previous).setInputTypes(inputType).build());
        graph.init();
        return BnNetwork.of(graph);
    }
}
