package io.github.bndoctor.spark;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The averaging bias, reproduced: k = 4 copies of a small BN regression network are trained on
 * deliberately different shards (inputs centred at -3, -1, 1 and 3), their parameters averaged as
 * parameter averaging does after every round, and the averaged model evaluated on the union of the
 * shards. Training-mode and inference-mode losses are both measured on mixed batches of the union,
 * the population the model serves.
 */
@Tag("spark")
class AveragingBiasTest extends LocalSparkContext {
    private static final int WORKERS = 4;
    private static final int IN = 4;
    private static final int BATCH = 32;
    private static final double[] CENTRES = {-3, -1, 1, 3};

    private static BnNetwork network(long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).updater(new Adam(1e-2))
                .weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(IN).nOut(16).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(16).decay(0.9).build())
                .layer(new ActivationLayer(Activation.RELU))
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(16).decay(0.9).build())
                .layer(new ActivationLayer(Activation.RELU))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.feedForward(IN)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return BnNetwork.of(net);
    }

    /**
     * Shard examples: x ~ N(centre, 1) per input, target {@code y = sin(x_0 - centre) + (x_1 - centre) / 2}:
     * what a worker can learn from its own batches, which BN centres on the shard.
     */
    private static DataSet batch(double centre, int n, Random rnd) {
        INDArray x = Nd4j.create(DataType.FLOAT, n, IN);
        INDArray y = Nd4j.create(DataType.FLOAT, n, 1);
        for (int i = 0; i < n; i++) {
            double[] z = new double[IN];
            for (int j = 0; j < IN; j++) {
                z[j] = rnd.nextGaussian();
                x.putScalar(i, j, centre + z[j]);
            }
            y.putScalar(i, 0, Math.sin(z[0]) + z[1] / 2);
        }
        return new DataSet(x, y);
    }

    /** Mean squared error over all batches, in double, from the network's outputs. */
    private static double mse(BnNetwork net, List<DataSet> batches, boolean train) {
        double sum = 0;
        long n = 0;
        for (DataSet b : batches) {
            double[] out = net.output(new INDArray[] {b.getFeatures()}, train)[0].toDoubleVector();
            double[] y = b.getLabels().toDoubleVector();
            for (int i = 0; i < y.length; i++) {
                sum += (out[i] - y[i]) * (out[i] - y[i]);
                n++;
            }
        }
        return sum / n;
    }

    @Test
    void averagedStatisticsAreTooNarrowAndSparkRecalibrationRemovesTheGap() {
        Random rnd = new Random(42);
        BnNetwork start = network(7);
        List<BnNetwork> workers = new ArrayList<>();
        for (int k = 0; k < WORKERS; k++) {
            workers.add(start.copy());
        }
        BnNetwork averaged = start;
        for (int round = 0; round < 6; round++) {
            for (int k = 0; k < WORKERS; k++) {
                workers.get(k).model().setParams(averaged.params().dup());
                for (int it = 0; it < 25; it++) {
                    workers.get(k).fit(batch(CENTRES[k], BATCH, rnd));
                }
            }
            averaged = ParameterAveraging.average(workers);
        }
        // the union of the shards, in mixed batches: each batch holds every worker's examples
        List<DataSet> shardExamples = new ArrayList<>();
        for (int k = 0; k < WORKERS; k++) {
            for (int i = 0; i < 16; i++) {
                shardExamples.add(batch(CENTRES[k], 8, rnd));
            }
        }
        List<DataSet> mixed = new ArrayList<>(shardExamples);
        Collections.shuffle(mixed, rnd);
        List<DataSet> union = new ArrayList<>();
        for (int i = 0; i < mixed.size(); i += 8) {
            union.add(DataSet.merge(mixed.subList(i, i + 8)));
        }

        double trainBefore = mse(averaged, union, true);
        double evalBefore = mse(averaged, union, false);
        double ratioBefore = evalBefore / trainBefore;

        AveragingDiagnosis fromWorkers = AveragingDiagnosis.ofWorkers(workers, averaged);
        List<INDArray[]> shardFeatures = new ArrayList<>();
        for (DataSet d : shardExamples) {
            shardFeatures.add(new INDArray[] {d.getFeatures()});
        }
        AveragingDiagnosis fromShards = AveragingDiagnosis.ofShards(averaged, sc.parallelize(shardFeatures, WORKERS), 8);
        BnLayerRef first = averaged.bnLayers().get(0);
        MeanVariance averagedFirst = MovingStatistics.read(averaged, first);

        BnNetwork recalibrated = averaged.copy();
        Map<String, MeanVariance> written = SparkPreciseBn.recalibrate(recalibrated,
                sc.parallelize(union, WORKERS), BATCH, PopulationEstimator.POOLED);
        double trainAfter = mse(recalibrated, union, true);
        double evalAfter = mse(recalibrated, union, false);
        double ratioAfter = evalAfter / trainAfter;

        System.out.printf("averaging bias: eval/train before %.3f (eval %.4f, train %.4f), after Spark recalibration"
                + " %.3f (eval %.4f, train %.4f)%nfrom workers:%n%sfrom shards at the averaged weights:%n%s",
                ratioBefore, evalBefore, trainBefore, ratioAfter, evalAfter, trainAfter, fromWorkers.table(),
                fromShards.table());

        // the gap: inference-mode loss well above training-mode loss before, gone after
        assertThat(ratioBefore).isGreaterThan(1.5);
        assertThat(ratioAfter).isLessThanOrEqualTo(1.1);
        // too narrow: the first BN layer's averaged variances against the population's (its input does not depend on BN)
        double[] avgVar = averagedFirst.variance();
        double[] popVar = written.get(first.name()).variance();
        int narrower = 0;
        for (int c = 0; c < avgVar.length; c++) {
            narrower += avgVar[c] < popVar[c] ? 1 : 0;
        }
        assertThat(narrower).as("channels whose averaged variance is below the population's").isEqualTo(avgVar.length);
        LayerAveragingBias shards = fromShards.layers().get(first.name());
        assertThat(shards.varianceRatio()).isLessThan(0.5);
        // most of the deficit is the dropped between-worker spread (centres 2 apart, unit within-shard spread)
        assertThat(shards.spreadShareOfDeficit()).isGreaterThan(0.5);
        assertThat(fromWorkers.layers().get(first.name()).spreadShareOfDeficit()).isGreaterThan(0.5);
    }
}
