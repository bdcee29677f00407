package com.example;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The user's own network: two dense-BN-ReLU blocks and a regression output. */
final class MyModels {
    private MyModels() {
    }

    static MultiLayerNetwork network() {
        return network(new Adam(1e-3), 0.9);
    }

    static MultiLayerNetwork network(Adam updater, double bnDecay) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(MyData.FEATURES).nOut(16).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(16).decay(bnDecay).build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().nOut(16).decay(bnDecay).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
