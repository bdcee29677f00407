package io.github.bndoctor.conformance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Replays {@link ReferenceTrajectory} in DL4J: the same conv(3x3, bias) - BN - ReLU - global average
 * pool - dense(1) network, the same initial weights, the same minibatches, plain {@link Sgd}.
 *
 * <p>Loss mapping: PyTorch {@code MSELoss(reduction="mean")} averages over N x 1 outputs. DL4J's
 * {@code LossMSE} is the squared error summed over outputs divided by the number of outputs (here 1),
 * and the network's score and gradients are averaged over the minibatch (the updater divides by N;
 * BN's running statistics are exempt from that division), so with one output both are
 * {@code mean((y - t)^2)} with identical gradients. Weight layout: conv OIHW in both; PyTorch's Linear
 * weight [out, in] is the transpose of DL4J's dense W [in, out].
 */
final class Dl4jTrajectoryHarness {

    /** DL4J's loss before, and parameters after, one step (same names as the reference). */
    record Step(float loss, Map<String, float[]> params) {
    }

    private Dl4jTrajectoryHarness() {
    }

    static List<Step> run(ReferenceTrajectory t) {
        MultiLayerNetwork net = network(t, TorchToDl4j.decay(t.momentum()));
        set(net, t.initial());
        List<Step> steps = new ArrayList<>();
        for (ReferenceTrajectory.Step s : t.steps()) {
            net.fit(new DataSet(Dl4jBatchNormHarness.tensor(s.input(), new int[] {t.batch(), t.channelsIn(), t.size(), t.size()}),
                    Dl4jBatchNormHarness.tensor(s.target(), new int[] {t.batch(), 1})));
            steps.add(new Step((float) net.score(), params(net)));
        }
        return steps;
    }

    static MultiLayerNetwork network(ReferenceTrajectory t, double decay) {
        var conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Sgd(t.learningRate())).list()
                .layer(new ConvolutionLayer.Builder(t.kernel(), t.kernel()).stride(1, 1).nIn(t.channelsIn())
                        .nOut(t.channels()).hasBias(true).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(decay).eps(t.eps()).build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(t.channels()).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(t.size(), t.size(), t.channelsIn()))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static void set(MultiLayerNetwork net, Map<String, float[]> p) {
        Layer conv = net.getLayer(0);
        Layer bn = net.getLayer(1);
        Layer fc = net.getLayer(4);
        Dl4jBatchNormHarness.set(conv, "W", p.get("convWeight"));
        Dl4jBatchNormHarness.set(conv, "b", p.get("convBias"));
        Dl4jBatchNormHarness.set(bn, "gamma", p.get("gamma"));
        Dl4jBatchNormHarness.set(bn, "beta", p.get("beta"));
        Dl4jBatchNormHarness.set(bn, "mean", p.get("runningMean"));
        Dl4jBatchNormHarness.setVariance(bn, p.get("runningVar"));
        // [1, C] -> [C, 1]: with one output the row-major order is the same, so the values copy as they are
        Dl4jBatchNormHarness.set(fc, "W", p.get("fcWeight"));
        Dl4jBatchNormHarness.set(fc, "b", p.get("fcBias"));
    }

    private static Map<String, float[]> params(MultiLayerNetwork net) {
        Layer conv = net.getLayer(0);
        Layer bn = net.getLayer(1);
        Layer fc = net.getLayer(4);
        Map<String, float[]> out = new LinkedHashMap<>();
        out.put("convWeight", Dl4jBatchNormHarness.flat(conv.getParam("W")));
        out.put("convBias", Dl4jBatchNormHarness.flat(conv.getParam("b")));
        out.put("gamma", Dl4jBatchNormHarness.flat(bn.getParam("gamma")));
        out.put("beta", Dl4jBatchNormHarness.flat(bn.getParam("beta")));
        out.put("runningMean", Dl4jBatchNormHarness.flat(bn.getParam("mean")));
        out.put("runningVar", Dl4jBatchNormHarness.variance(bn));
        out.put("fcWeight", Dl4jBatchNormHarness.flat(fc.getParam("W")));
        out.put("fcBias", Dl4jBatchNormHarness.flat(fc.getParam("b")));
        return out;
    }
}
