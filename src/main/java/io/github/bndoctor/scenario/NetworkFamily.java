package io.github.bndoctor.scenario;

import io.github.bndoctor.scenario.ShapeImages.Task;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration.ListBuilder;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * A corpus of small batch-norm networks beyond the three {@link ScenarioKind}s, for judging
 * bn-doctor's thresholds and defaults on architectures they were not chosen on. Every family trains
 * on {@link ShapeImages} (16x16, one channel), builds as a {@link MultiLayerNetwork} or a
 * {@link ComputationGraph} with DL4J's default weight initialisation, and names a recipe
 * ({@link #recipe}): the optimizer, regularisation, decay and batch size a user might pick. Whether
 * a run of it degrades is measured, never implied by the recipe.
 *
 * <p>Every network has BN layers fed by convolutions or dense layers without bias (scale-invariant
 * weights), except where the family's point is another feeding path (after pooling, after a merge).
 */
public enum NetworkFamily {
    /**
     * Three 3x3 conv + BN + ReLU blocks (8, 16, 16 channels; the last two stride 2), dense 32 + BN +
     * ReLU, sigmoid regression head; Adam 3e-3 with {@code .l2(1e-3)}, batch 8, decay 0.997: a plain
     * CNN as a new user writes one.
     */
    PLAIN_CNN(false, Task.REGRESSION, false) {
        @Override
        Model network(FamilyConfig c) {
            ListBuilder l = list(c);
            convBlock(l, c, 8, 1);
            convBlock(l, c, 16, 2);
            convBlock(l, c, 16, 2);
            denseBlock(l, c, 32);
            return mln(l.layer(head(c)), c);
        }
    },
    /**
     * Two stride-2 conv blocks (8 channels) and a dense 64 + BN head at batch 4: few samples per
     * channel in the dense BN layer, the noise-limited case; Adam 3e-3, {@code .l2(1e-3)}.
     */
    DENSE_HEAD_CNN(false, Task.REGRESSION, false) {
        @Override
        Model network(FamilyConfig c) {
            ListBuilder l = list(c);
            convBlock(l, c, 8, 2);
            convBlock(l, c, 8, 2);
            denseBlock(l, c, 64);
            return mln(l.layer(head(c)), c);
        }

        @Override
        FamilyConfig.Builder tune(FamilyConfig.Builder b) {
            return b.batchSize(4);
        }
    },
    /**
     * Graph: stem conv + BN, two depthwise-separable blocks (3x3 depthwise + BN + ReLU, 1x1
     * pointwise + BN + ReLU; the first stride 2), global average pooling, sigmoid head; batch 16,
     * decay 0.995.
     */
    DEPTHWISE_SEPARABLE(true, Task.REGRESSION, false) {
        @Override
        Model network(FamilyConfig c) {
            GraphBuilder g = graph(c);
            String last = graphConv(g, c, "stem", INPUT, 3, 8, 1);
            for (int i = 1; i <= 2; i++) {
                int stride = i == 1 ? 2 : 1;
                g.addLayer("dw" + i, new DepthwiseConvolution2D.Builder(3, 3).stride(stride, stride).depthMultiplier(1)
                        .hasBias(false).activation(Activation.IDENTITY).build(), last);
                last = graphBnRelu(g, c, "dw" + i, "dw" + i);
                last = graphConv(g, c, "pw" + i, last, 1, 16, 1);
            }
            g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last);
            return cg(g.addLayer(OUTPUT, head(c), "pool"), c);
        }

        @Override
        FamilyConfig.Builder tune(FamilyConfig.Builder b) {
            return b.batchSize(16).decay(0.995);
        }
    },
    /**
     * Graph: stride-2 stem conv + BN, two residual blocks (conv-BN-ReLU-conv-BN plus the identity,
     * then ReLU; 8 channels), global average pooling, sigmoid head; Adam 3e-3 with decoupled
     * {@code .weightDecay(1e-2)}.
     */
    RESIDUAL(true, Task.REGRESSION, false) {
        @Override
        Model network(FamilyConfig c) {
            GraphBuilder g = graph(c);
            String last = graphConv(g, c, "stem", INPUT, 3, 8, 2);
            for (int i = 1; i <= 2; i++) {
                String p = "res" + i;
                String a = graphConv(g, c, p + "a", last, 3, 8, 1);
                g.addLayer(p + "b_conv", conv(c, 3, 8, 1), a);
                g.addLayer(p + "b_bn", bn(c, true), p + "b_conv");
                g.addVertex(p + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), p + "b_bn", last);
                g.addLayer(p + "_relu", relu(), p + "_add");
                last = p + "_relu";
            }
            g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last);
            return cg(g.addLayer(OUTPUT, head(c), "pool"), c);
        }

        @Override
        FamilyConfig.Builder tune(FamilyConfig.Builder b) {
            return b.l2(0).weightDecay(1e-2);
        }
    },
    /**
     * BN after pooling: conv 3x3 (8, with bias), max-pool 2, BN, ReLU, conv 3x3 (16), average-pool
     * 2, BN, ReLU, dense 32 (no BN), sigmoid head; batch 16, decay 0.99.
     */
    BN_AFTER_POOL(false, Task.REGRESSION, false) {
        @Override
        Model network(FamilyConfig c) {
            ListBuilder l = list(c);
            for (int ch : new int[] {8, 16}) {
                l.layer(new ConvolutionLayer.Builder(3, 3).nOut(ch).activation(Activation.IDENTITY).build());
                l.layer(new SubsamplingLayer.Builder(ch == 8 ? PoolingType.MAX : PoolingType.AVG).kernelSize(2, 2)
                        .stride(2, 2).build());
                l.layer(bn(c, true)).layer(relu());
            }
            l.layer(new DenseLayer.Builder().nOut(32).activation(Activation.RELU).build());
            return mln(l.layer(head(c)), c);
        }

        @Override
        FamilyConfig.Builder tune(FamilyConfig.Builder b) {
            return b.batchSize(16).decay(0.99);
        }
    },
    /**
     * Graph: BN after a merge. Stride-2 stem conv + BN; a 3x3 and a 1x1 branch (8 channels each),
     * concatenated, then BN + ReLU; two stride-2 3x3 branches added element-wise, then BN + ReLU;
     * global average pooling, sigmoid head.
     */
    BN_AFTER_MERGE(true, Task.REGRESSION, false) {
        @Override
        Model network(FamilyConfig c) {
            GraphBuilder g = graph(c);
            String last = graphConv(g, c, "stem", INPUT, 3, 8, 2);
            g.addLayer("a3", conv(c, 3, 8, 1), last).addLayer("a1", conv(c, 1, 8, 1), last);
            g.addVertex("concat", new MergeVertex(), "a3", "a1");
            last = graphBnRelu(g, c, "concat", "concat");
            g.addLayer("b1", conv(c, 3, 16, 2), last).addLayer("b2", conv(c, 3, 16, 2), last);
            g.addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "b1", "b2");
            last = graphBnRelu(g, c, "sum", "sum");
            g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last);
            return cg(g.addLayer(OUTPUT, head(c), "pool"), c);
        }
    },
    /**
     * Channels-last: three conv + BN + ReLU blocks in NHWC (8, 16, 16 channels; the last two stride
     * 2), global average pooling, sigmoid head; batch 32, decay 0.998.
     */
    NHWC_CNN(false, Task.REGRESSION, true) {
        @Override
        Model network(FamilyConfig c) {
            ListBuilder l = list(c);
            convBlock(l, c, 8, 1);
            convBlock(l, c, 16, 2);
            convBlock(l, c, 16, 2);
            l.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build());
            return mln(l.layer(head(c)), c);
        }

        @Override
        FamilyConfig.Builder tune(FamilyConfig.Builder b) {
            return b.batchSize(32).decay(0.998);
        }
    },
    /**
     * Graph classifier: two stride-2 conv blocks (8, 16 channels), global average pooling, dense 16
     * + BN + ReLU, softmax over the four shapes with cross-entropy; batch 16.
     */
    CLASSIFIER(true, Task.CLASSIFICATION, false) {
        @Override
        Model network(FamilyConfig c) {
            GraphBuilder g = graph(c);
            String last = graphConv(g, c, "c1", INPUT, 3, 8, 2);
            last = graphConv(g, c, "c2", last, 3, 16, 2);
            g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last);
            g.addLayer("fc", new DenseLayer.Builder().nOut(16).hasBias(false).activation(Activation.IDENTITY).build(),
                    "pool");
            last = graphBnRelu(g, c, "fc", "fc");
            return cg(g.addLayer(OUTPUT, head(c), last), c);
        }

        @Override
        FamilyConfig.Builder tune(FamilyConfig.Builder b) {
            return b.batchSize(16);
        }
    },
    /**
     * Two conv blocks (8, 16 channels, the second stride 2), global average pooling, sigmoid head,
     * trained with RMSProp 1e-3.
     */
    RMSPROP_CNN(false, Task.REGRESSION, false) {
        @Override
        Model network(FamilyConfig c) {
            ListBuilder l = list(c);
            convBlock(l, c, 8, 1);
            convBlock(l, c, 16, 2);
            l.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build());
            return mln(l.layer(head(c)), c);
        }

        @Override
        FamilyConfig.Builder tune(FamilyConfig.Builder b) {
            return b.optimizer(Optimizer.RMSPROP, 1e-3);
        }
    },
    /**
     * Dense MLP on the flattened image: two dense 32 + BN + ReLU blocks, sigmoid head; Adam 1e-2,
     * batch 32, decay 0.999, 1,500 iterations (the window 1/(1-d) is 1,000).
     */
    DENSE_MLP(false, Task.REGRESSION, false) {
        @Override
        Model network(FamilyConfig c) {
            ListBuilder l = list(c);
            denseBlock(l, c, 32);
            denseBlock(l, c, 32);
            return mln(l.layer(head(c)), c);
        }

        @Override
        FamilyConfig.Builder tune(FamilyConfig.Builder b) {
            return b.optimizer(Optimizer.ADAM, 1e-2).batchSize(32).decay(0.999).iterations(1500);
        }
    };

    /** Name of a graph family's input. */
    public static final String INPUT = "input";
    /** Name of a graph family's output layer. */
    public static final String OUTPUT = "output";
    /** DL4J's default batch-norm epsilon, the recipes' epsilon. */
    public static final double EPSILON = 1e-5;

    private final boolean graph;
    private final Task task;
    private final boolean nhwc;

    NetworkFamily(boolean graph, Task task, boolean nhwc) {
        this.graph = graph;
        this.task = task;
        this.nhwc = nhwc;
    }

    abstract Model network(FamilyConfig c);

    /** Changes of a family's recipe from the common one (Adam 3e-3, l2 1e-3, decay 0.997, batch 8). */
    FamilyConfig.Builder tune(FamilyConfig.Builder b) {
        return b;
    }

    /** @return whether the family builds a {@link ComputationGraph} (else a {@link MultiLayerNetwork}) */
    public boolean isGraph() {
        return graph;
    }

    /** @return the family's task */
    public Task task() {
        return task;
    }

    /** @return whether the family's convolutions and BN layers are channels-last */
    public boolean nhwc() {
        return nhwc;
    }

    /**
     * The family's recipe: Adam 3e-3 with {@code .l2(1e-3)}, decay 0.997, epsilon {@value #EPSILON},
     * batch 8, 1,000 iterations with checkpoints every 100, not warm-started, unless the family's
     * documentation says otherwise.
     *
     * @param seed the seed
     * @return the recipe
     */
    public FamilyConfig recipe(long seed) {
        FamilyConfig common = new FamilyConfig(this, seed, Optimizer.ADAM, 3e-3, 0.9, 1e-3, 0, 0.997, EPSILON, 8, 1000,
                100, false);
        return tune(common.toBuilder()).build();
    }

    /**
     * @param config a configuration of this family
     * @return the initialised network, moving statistics at DL4J's defaults (0 and 1)
     */
    public Model build(FamilyConfig config) {
        if (config.family() != this) {
            throw new IllegalArgumentException("configuration of " + config.family() + " given to " + this);
        }
        return network(config);
    }

    /**
     * @param seed the stream's seed
     * @return the family's data: training stream and probe set
     */
    public ShapeImages data(long seed) {
        return new ShapeImages(seed, task, nhwc);
    }

    private CNN2DFormat format() {
        return nhwc ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
    }

    private NeuralNetConfiguration.Builder base(FamilyConfig c) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().seed(c.seed()).dataType(DataType.FLOAT)
                .updater(c.optimizer().updater(c.learningRate(), c.momentum())).convolutionMode(ConvolutionMode.Same);
        if (c.l2() > 0) {
            b.l2(c.l2());
        }
        if (c.weightDecay() > 0) {
            b.weightDecay(c.weightDecay());
        }
        return b;
    }

    ListBuilder list(FamilyConfig c) {
        return base(c).list();
    }

    GraphBuilder graph(FamilyConfig c) {
        return base(c).graphBuilder().addInputs(INPUT);
    }

    private InputType inputType() {
        return InputType.convolutional(ShapeImages.SIDE, ShapeImages.SIDE, 1, format());
    }

    Model mln(ListBuilder l, FamilyConfig c) {
        MultiLayerNetwork net = new MultiLayerNetwork(l.setInputType(inputType()).build());
        net.init();
        return net;
    }

    Model cg(GraphBuilder g, FamilyConfig c) {
        ComputationGraph net = new ComputationGraph(g.setOutputs(OUTPUT).setInputTypes(inputType()).build());
        net.init();
        return net;
    }

    ConvolutionLayer conv(FamilyConfig c, int kernel, int channels, int stride) {
        return new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(channels).hasBias(false)
                .dataFormat(format()).activation(Activation.IDENTITY).build();
    }

    BatchNormalization bn(FamilyConfig c, boolean spatial) {
        BatchNormalization.Builder b = new BatchNormalization.Builder().decay(c.decay()).eps(c.epsilon());
        if (spatial) {
            b.dataFormat(format());
        }
        return b.build();
    }

    static ActivationLayer relu() {
        return new ActivationLayer.Builder().activation(Activation.RELU).build();
    }

    void convBlock(ListBuilder l, FamilyConfig c, int channels, int stride) {
        l.layer(conv(c, 3, channels, stride)).layer(bn(c, true)).layer(relu());
    }

    void denseBlock(ListBuilder l, FamilyConfig c, int units) {
        l.layer(new DenseLayer.Builder().nOut(units).hasBias(false).activation(Activation.IDENTITY).build())
                .layer(bn(c, false)).layer(relu());
    }

    String graphConv(GraphBuilder g, FamilyConfig c, String name, String input, int kernel, int channels, int stride) {
        g.addLayer(name + "_conv", conv(c, kernel, channels, stride), input);
        return graphBnRelu(g, c, name, name + "_conv");
    }

    String graphBnRelu(GraphBuilder g, FamilyConfig c, String name, String input) {
        boolean spatial = !"fc".equals(name);
        g.addLayer(name + "_bn", bn(c, spatial), input);
        g.addLayer(name + "_relu", relu(), name + "_bn");
        return name + "_relu";
    }

    Layer head(FamilyConfig c) {
        OutputLayer.Builder out = task == Task.REGRESSION
                ? new OutputLayer.Builder(LossFunction.MSE).activation(Activation.SIGMOID)
                : new OutputLayer.Builder(LossFunction.MCXENT).activation(Activation.SOFTMAX);
        return out.nOut(task.outputs()).build();
    }
}
