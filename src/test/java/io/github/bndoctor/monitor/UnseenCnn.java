package io.github.bndoctor.monitor;

import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain CNN none of bn-doctor's scenarios is built like, as a user would write it: three 3x3
 * convolution + BN blocks (NCHW; the second and third with stride 2), dense 32 + BN, a sigmoid
 * regression head, {@code .l2(1e-3)}; on 16x16 single-channel images whose target is a sigmoid of a
 * fixed random projection of the image.
 */
final class UnseenCnn {
    static final int SIZE = 16;

    private UnseenCnn() {
    }

    static MultiLayerNetwork build(IUpdater updater, double decay, long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(updater).l2(1e-3).weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(8).padding(1, 1).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(decay).activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).stride(2, 2).padding(1, 1)
                        .activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(decay).activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).stride(2, 2).padding(1, 1)
                        .activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(decay).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(32).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().decay(decay).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.SIGMOID)
                        .build())
                .setInputType(InputType.convolutional(SIZE, SIZE, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /**
     * @return {@code n} examples: noise of standard deviation 0.2 with a bright disc of radius 2 at a
     *     random centre {@code (x, y)} in [3, 13]; target {@code ((x-3)/10, (y-3)/10)}, in [0, 1]
     */
    static DataSet data(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[n * SIZE * SIZE];
        float[] y = new float[n * 2];
        for (int i = 0; i < n; i++) {
            double cx = 3 + 10 * r.nextDouble();
            double cy = 3 + 10 * r.nextDouble();
            for (int row = 0; row < SIZE; row++) {
                for (int col = 0; col < SIZE; col++) {
                    double disc = (col - cx) * (col - cx) + (row - cy) * (row - cy) <= 4 ? 1 : 0;
                    x[(i * SIZE + row) * SIZE + col] = (float) (0.2 * r.nextGaussian() + disc);
                }
            }
            y[2 * i] = (float) ((cx - 3) / 10);
            y[2 * i + 1] = (float) ((cy - 3) / 10);
        }
        return new DataSet(Nd4j.create(x, new long[] {n, 1, SIZE, SIZE}), Nd4j.create(y, new long[] {n, 2}));
    }

    static ListDataSetIterator<DataSet> batches(DataSet all, int batch) {
        List<DataSet> list = new ArrayList<>(all.asList());
        return new ListDataSetIterator<>(list, batch);
    }
}
