package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Real saved models and data files for the command-line tests, and an in-process runner. */
final class CliFixtures {
    static final int FEATURES = 4;

    private CliFixtures() {
    }

    static CliRunner.Result run(String... args) {
        return CliRunner.run(args);
    }

    /** A dense two-block BN network (2-class softmax), trained a few Adam steps, saved to {@code dir/name}. */
    static Path trainedModel(Path dir, String name, NetworkKind kind) throws IOException {
        BnNetwork net = TinyBnNetworks.twoBlocks(kind, Layout.DENSE, FEATURES, 8, 1, 0.99,
                VarianceParameterisation.LOG10_STDEV, new Adam(1e-2), 7L);
        GaussianBatches g = new GaussianBatches(Layout.DENSE, 16, 1, 1, new double[] {1, 2, 3, 4},
                new double[] {1, 2, 1, 2}, 3L);
        for (int i = 0; i < 20; i++) {
            INDArray x = g.next();
            net.fit(new DataSet(x, oneHot(16)));
        }
        Path file = dir.resolve(name);
        if (net.model() instanceof MultiLayerNetwork mln) {
            ModelSerializer.writeModel(mln, file.toFile(), false);
        } else {
            ModelSerializer.writeModel((ComputationGraph) net.model(), file.toFile(), false);
        }
        return file;
    }

    /** A dense network without any BN layer. */
    static Path noBnModel(Path dir) throws IOException {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(5).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        Path file = dir.resolve("nobn.zip");
        ModelSerializer.writeModel(net, file.toFile(), false);
        return file;
    }

    /** {@code n} Gaussian examples of {@code columns} features as .npy. */
    static Path features(Path dir, String name, int n, int columns) throws IOException {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.randn(DataType.FLOAT, n, columns).muli(2).addi(1);
        Path file = dir.resolve(name);
        Nd4j.writeAsNumpy(x, file.toFile());
        return file;
    }

    /** One-hot labels for 2 classes as .npy. */
    static Path labels(Path dir, int n) throws IOException {
        Path file = dir.resolve("y.npy");
        Nd4j.writeAsNumpy(oneHot(n), file.toFile());
        return file;
    }

    static INDArray oneHot(int n) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 2);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % 2, 1f);
        }
        return y;
    }

    static Path corruptZip(Path dir) throws IOException {
        Path file = dir.resolve("corrupt.zip");
        Files.write(file, "PK\u0003\u0004 this is not really a zip".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return file;
    }
}
