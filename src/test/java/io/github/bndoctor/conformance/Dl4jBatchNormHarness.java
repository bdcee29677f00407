package io.github.bndoctor.conformance;

import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Runs DL4J's BatchNormalization (float32, CPU) on a {@link BnReferenceCase}: a network of one BN layer
 * and a loss layer, so that running statistics are updated through DL4J's real {@code fit} path
 * (pseudo-gradients with a NoOp updater), while forward/backward use the layer API directly.
 */
final class Dl4jBatchNormHarness {

    static {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    private static final LayerWorkspaceMgr NO_WS = LayerWorkspaceMgr.noWorkspaces();

    /** DL4J's training-mode results for one case. */
    record TrainResult(float[] output, float[] gradInput, float[] gradGamma, float[] gradBeta) {
    }

    /** DL4J running statistics after each update, {@code [t][channel]}. */
    record RunningStats(float[][] mean, float[][] variance) {
    }

    private Dl4jBatchNormHarness() {
    }

    /** A BN + loss network for the case; gamma and beta are set, the learning rate is 0 so they stay fixed. */
    static MultiLayerNetwork network(BnReferenceCase c, double decay) {
        return network(c, decay, c.eps());
    }

    /** As {@link #network(BnReferenceCase, double)} with a given DL4J eps (a test can map eps wrongly). */
    static MultiLayerNetwork network(BnReferenceCase c, double decay, double eps) {
        var list = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Sgd(0.0)).list();
        if (c.layout() == Layout.DENSE) {
            list.layer(new BatchNormalization.Builder().nIn(c.channels()).nOut(c.channels())
                            .decay(decay).eps(eps).build())
                    .layer(new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build());
        } else {
            CNN2DFormat format = c.layout() == Layout.NHWC ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
            int h = c.layout() == Layout.NHWC ? c.shape()[1] : c.shape()[2];
            int w = c.layout() == Layout.NHWC ? c.shape()[2] : c.shape()[3];
            list.layer(new BatchNormalization.Builder().dataFormat(format).decay(decay).eps(eps).build())
                    .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).format(format)
                            .activation(Activation.IDENTITY).build())
                    .setInputType(InputType.convolutional(h, w, c.channels(), format));
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        net.initGradientsView(); // backpropGradient on the layer needs the gradient views that fit() would create
        Layer bn = net.getLayer(0);
        set(bn, "gamma", c.gamma());
        set(bn, "beta", c.beta());
        return net;
    }

    /** Training-mode forward and backward with the case's upstream gradient. */
    static TrainResult train(BnReferenceCase c) {
        return train(c, c.eps());
    }

    /** Training-mode forward and backward with DL4J's eps set to {@code eps}. */
    static TrainResult train(BnReferenceCase c, double eps) {
        Layer bn = network(c, TorchToDl4j.decay(c.momentum()), eps).getLayer(0);
        bn.setInput(tensor(c.input(), c.shape()), NO_WS);
        INDArray y = bn.activate(true, NO_WS);
        float[] out = flat(y);
        Pair<Gradient, INDArray> g = bn.backpropGradient(tensor(c.gradOutput(), c.shape()), NO_WS);
        Map<String, INDArray> grads = g.getFirst().gradientForVariable();
        return new TrainResult(out, flat(g.getSecond()), flat(grads.get("gamma")), flat(grads.get("beta")));
    }

    /** Runs {@code fit} once per update batch from the case's initial running statistics. */
    static RunningStats runningStats(BnReferenceCase c, double decay) {
        MultiLayerNetwork net = network(c, decay);
        Layer bn = net.getLayer(0);
        set(bn, "mean", c.initialRunningMean());
        setVariance(bn, c.initialRunningVar());
        List<float[]> means = new ArrayList<>();
        List<float[]> vars = new ArrayList<>();
        for (BnReferenceCase.RunningUpdate u : c.updates()) {
            INDArray x = tensor(u.input(), c.shape());
            net.fit(new DataSet(x, Nd4j.zeros(DataType.FLOAT, x.shape())));
            means.add(flat(bn.getParam("mean")));
            vars.add(variance(bn));
        }
        return new RunningStats(means.toArray(float[][]::new), vars.toArray(float[][]::new));
    }

    /** Inference-mode output with the given running statistics. */
    static float[] eval(BnReferenceCase c, float[] runningMean, float[] runningVar) {
        Layer bn = network(c, TorchToDl4j.decay(c.momentum())).getLayer(0);
        set(bn, "mean", runningMean);
        setVariance(bn, runningVar);
        bn.setInput(tensor(c.input(), c.shape()), NO_WS);
        return flat(bn.activate(false, NO_WS));
    }

    /**
     * The running variance of a DL4J BN layer, whichever parameterisation its parameter table shows
     * ({@code var}, or {@code log10stdev} p with var = (10^p)^2, the builder default).
     */
    static float[] variance(Layer bn) {
        VarianceParameterisation vp = parameterisation(bn);
        double[] v = vp.toVariance(bn.getParam(vp.paramName()));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    static void setVariance(Layer bn, float[] variance) {
        VarianceParameterisation vp = parameterisation(bn);
        INDArray view = bn.getParam(vp.paramName());
        view.assign(vp.fromVariance(ConformanceComparator.toDouble(variance), view));
    }

    private static VarianceParameterisation parameterisation(Layer bn) {
        return bn.paramTable().containsKey(VarianceParameterisation.LOG10_STDEV.paramName())
                ? VarianceParameterisation.LOG10_STDEV : VarianceParameterisation.VAR;
    }

    /** Assigns values (row-major) into an existing parameter view, keeping its shape. */
    static void set(Layer layer, String param, float[] values) {
        INDArray view = layer.getParam(param);
        if (view.length() != values.length) {
            throw new IllegalArgumentException(param + ": expected " + view.length() + " values, got " + values.length);
        }
        view.assign(Nd4j.create(values, view.shape(), 'c'));
    }

    static INDArray tensor(float[] data, int[] shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape[i];
        }
        return Nd4j.create(data, s, 'c');
    }

    static float[] flat(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }
}
