package io.github.bndoctor.spark;

import io.github.bndoctor.BnDoctorException;
import io.github.bndoctor.cli.Main;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.io.ModelZip;
import io.github.bndoctor.report.AtomicFiles;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The {@code spark-submit} entry point: precise BN for a saved model over a directory of data
 * shards, computed on the cluster, the recalibrated model written atomically (a temporary file,
 * then a move: a failed job leaves no output file). The model is read with the bounded reader
 * {@link ModelZip} and written as a copy of the input with the new parameters; the input model is
 * never opened for writing.
 *
 * <pre>
 * spark-submit --class io.github.bndoctor.spark.SparkRecalibrate --master local[2] \
 *   target/bn-doctor.jar --model in.zip --data shards/ --out out.zip --batch 32
 * </pre>
 * Exit code 0 on success, 1 on bad input or a failed job (one line on stderr).
 */
@Command(name = "bn-doctor-spark", mixinStandardHelpOptions = true,
        description = "Recomputes every BN layer's population statistics on Spark from a directory of .npy or DL4J "
                + "DataSet shards and writes the recalibrated model atomically.")
public final class SparkRecalibrate implements Callable<Integer> {
    private final JavaSparkContext sc;

    @Option(names = "--model", required = true, paramLabel = "IN.zip", description = "The saved model.")
    private Path model;

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Directory of shards: .npy feature arrays or DL4J DataSet files, same example shape.")
    private Path data;

    @Option(names = "--out", required = true, paramLabel = "OUT.zip", description = "Where to write the recalibrated model.")
    private Path out;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32",
            description = "Examples per training-mode forward pass (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "0",
            description = "Partitions (default: the context's default parallelism).")
    private int partitions;

    @Option(names = "--shuffle", description = "Shuffle examples across partitions first, so that batches sample the "
            + "whole data set (use when shards differ, e.g. one per worker or class).")
    private boolean shuffle;

    @Option(names = "--estimator", defaultValue = "POOLED",
            description = "POOLED (default) or MEAN_OF_BATCH_VARIANCES.")
    private PopulationEstimator estimator;

    private SparkRecalibrate(JavaSparkContext sc) {
        this.sc = sc;
    }

    /**
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        SparkConf conf = new SparkConf().setAppName("bn-doctor recalibrate").setIfMissing("spark.master", "local[*]");
        int code;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            code = run(sc, args);
        }
        System.exit(code);
    }

    /**
     * @param sc a Spark context
     * @param args command-line arguments
     * @return the exit code
     */
    public static int run(JavaSparkContext sc, String... args) {
        return Main.withErrorHandling(new CommandLine(new SparkRecalibrate(sc))).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (batch < 2 || partitions < 0) {
            throw new BnDoctorException("--batch must be >= 2 and --partitions >= 0");
        }
        AtomicFiles.requireWritableDirectory(out);
        if (Files.exists(out) && Files.exists(model) && Files.isSameFile(out, model)) {
            throw new BnDoctorException("--out " + out + " is the input model: write the recalibrated model elsewhere");
        }
        BnNetwork net = BnNetwork.requireBatchNorm(ModelZip.load(model));
        ShardDirectory shards = ShardDirectory.open(data);
        int p = partitions > 0 ? partitions : sc.defaultParallelism();
        JavaRDD<INDArray[]> features = shards.features(sc, batch, p, net.params().dataType());
        if (shuffle) {
            features = DistributedMoments.mixed(features, p);
        }
        Map<String, MeanVariance> stats = SparkPreciseBn.recalibrateFeatures(net, features, batch, estimator);
        ModelZip.writeWithParameters(model, net.model(), out);
        PrintWriter o = new PrintWriter(System.out, true);
        o.printf("recalibrated %d BN layer(s) of %s from %d example(s) in %d shard(s) of %s on %d partition(s) (%s)%n",
                stats.size(), model, shards.examples(), shards.files().size(), data, p, estimator);
        o.println("wrote " + out);
        return Main.OK;
    }
}
