package io.github.bndoctor.cli;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code inspect} and {@code diagnose --model} print the lag forecast per BN layer. */
final class ForecastCliTest {
    @TempDir
    Path dir;

    /** Adam 1e-3 with decoupled weight decay 0.95: sqrt(2 x 9.5e-4 x 0.1 / 1.9) = 0.01 rad = 0.573 deg/step. */
    private Path adamWModel() throws Exception {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1)
                .updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nOut(5).hasBias(false).weightDecay(0.95).build())
                .layer(new BatchNormalization.Builder().decay(0.997).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(CliFixtures.FEATURES)).build());
        net.init();
        Path file = dir.resolve("adamw.zip");
        ModelSerializer.writeModel(net, file.toFile(), false);
        return file;
    }

    @Test
    void inspectPrintsTheForecastAndItsLint() throws Exception {
        CliRunner.Result r = CliFixtures.run("inspect", "--model", adamWModel().toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        // drift bound 0.573 x 332.3 = 190 deg; largest decay 5 / 5.573 = 0.8972
        assertThat(r.out()).contains("lag forecast", "EQUILIBRIUM", "0.573", "0.8972", "ema-lag-forecast");
    }

    @Test
    void diagnoseModelPrintsTheForecast() throws Exception {
        Path x = CliFixtures.features(dir, "x.npy", 32, CliFixtures.FEATURES);
        CliRunner.Result r = CliFixtures.run("diagnose", "--model", adamWModel().toString(), "--data", x.toString());
        assertThat(r.exitCode()).as(r.err()).isIn(Main.OK, Main.GATE_FAILED);
        assertThat(r.out()).contains("lag forecast", "EQUILIBRIUM", "0.573");
    }
}
