package io.github.bndoctor.spark;

import io.github.bndoctor.io.ModelZip;
import org.deeplearning4j.util.ModelSerializer;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The spark-submit entry point on real files: .npy and DataSet shards in, an atomically written model out. */
@Tag("spark")
class SparkRecalibrateTest extends LocalSparkContext {
    private static final int BATCH = 8;

    private record Outcome(int code, String err) {
    }

    private static Outcome run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Outcome(SparkRecalibrate.run(sc, args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    /** Shards of 3, 2 and 1 batches: two .npy arrays and one DataSet file, in name order a, b, c. */
    private static List<INDArray[]> writeShards(Path dir, long seed) throws Exception {
        List<INDArray[]> batches = ProbeFixtures.batches(Layout.NCHW, 6, seed);
        Files.createDirectories(dir);
        Nd4j.writeAsNumpy(Nd4j.concat(0, batches.get(0)[0], batches.get(1)[0], batches.get(2)[0]),
                dir.resolve("a.npy").toFile());
        Nd4j.writeAsNumpy(Nd4j.concat(0, batches.get(3)[0], batches.get(4)[0]), dir.resolve("b.npy").toFile());
        new DataSet(batches.get(5)[0], ProbeFixtures.labels(batches.get(5)[0], 0)).save(dir.resolve("c.bin").toFile());
        return batches;
    }

    /** The written model equals single-machine PreciseBn on the same batches to one float ulp (see DistributedMomentsTest). */
    @Test
    void writesTheModelSingleMachinePreciseBnWrites(@TempDir Path tmp) throws Exception {
        List<INDArray[]> batches = writeShards(tmp.resolve("shards"), 3);
        BnNetwork net = ProbeFixtures.net(NetworkKind.GRAPH, Layout.NCHW);
        Path in = tmp.resolve("in.zip");
        ModelSerializer.writeModel(net.model(), in.toFile(), false);
        Path out = tmp.resolve("out.zip");
        Outcome o = run("--model", in.toString(), "--data", tmp.resolve("shards").toString(), "--out", out.toString(),
                "--batch", String.valueOf(BATCH), "--partitions", "3", "--estimator", "MEAN_OF_BATCH_VARIANCES");
        assertThat(o.code()).as(o.err()).isZero();

        BnNetwork expected = BnNetwork.of(ModelZip.load(in));
        List<DataSet> ds = new ArrayList<>();
        for (INDArray[] b : batches) {
            ds.add(new DataSet(b[0], ProbeFixtures.labels(b[0], 0)));
        }
        PreciseBn.recalibrate(expected, new ListDataSetIterator<>(ds, 1), Integer.MAX_VALUE,
                PopulationEstimator.MEAN_OF_BATCH_VARIANCES);
        float[] e = expected.params().toFloatVector();
        float[] a = BnNetwork.of(ModelZip.load(out)).params().toFloatVector();
        assertThat(a).hasSameSizeAs(e);
        for (int i = 0; i < e.length; i++) {
            assertThat((double) a[i]).as("parameter %d", i).isCloseTo(e[i], within((double) Math.ulp(e[i])));
        }
        assertThat(BnNetwork.of(ModelZip.load(in)).params()).isEqualTo(net.params());
    }

    /**
     * A shard with NaN features in its middle passes the driver's header checks and makes a task
     * throw mid-partition: exit 1, the cause on stderr, no output file and no temporary file left.
     */
    @Test
    void failedJobLeavesNoOutput(@TempDir Path tmp) throws Exception {
        Path shards = tmp.resolve("shards");
        writeShards(shards, 4);
        INDArray bad = ProbeFixtures.batches(Layout.NCHW, 3, 8).get(0)[0];
        INDArray poisoned = Nd4j.concat(0, bad, bad.dup().putScalar(new long[] {3, 0, 1, 1}, Double.NaN), bad);
        Nd4j.writeAsNumpy(poisoned, shards.resolve("b.npy").toFile());
        Path in = tmp.resolve("in.zip");
        ModelSerializer.writeModel(ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.NCHW).model(), in.toFile(), false);
        Path out = tmp.resolve("out.zip");
        Outcome o = run("--model", in.toString(), "--data", shards.toString(), "--out", out.toString(),
                "--batch", String.valueOf(BATCH), "--partitions", "2");
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains("bn-doctor: error: Spark job collecting BN statistics failed: partition")
                .contains("NaN");
        assertThat(out).doesNotExist();
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("shards", "in.zip");
        }
    }

    @Test
    void badInputIsExitOneWithOneLine(@TempDir Path tmp) throws Exception {
        Path in = tmp.resolve("in.zip");
        ModelSerializer.writeModel(ProbeFixtures.net(NetworkKind.MULTI_LAYER, Layout.DENSE).model(), in.toFile(), false);
        Path out = tmp.resolve("out.zip");
        Outcome missing = run("--model", in.toString(), "--data", tmp.resolve("nope").toString(), "--out", out.toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err().strip()).isEqualTo("bn-doctor: error: data directory " + tmp.resolve("nope")
                + " does not exist or is not a directory");
        Files.createDirectories(tmp.resolve("d"));
        Files.write(tmp.resolve("d").resolve("x.npy"), new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 2});
        Outcome truncated = run("--model", in.toString(), "--data", tmp.resolve("d").toString(), "--out", out.toString());
        assertThat(truncated.code()).isEqualTo(1);
        assertThat(truncated.err().lines()).hasSize(1).allMatch(l -> l.startsWith("bn-doctor: error: "));
        Outcome batch = run("--model", in.toString(), "--data", tmp.resolve("d").toString(), "--out", out.toString(),
                "--batch", "1");
        assertThat(batch.code()).isEqualTo(1);
        assertThat(out).doesNotExist();
    }
}
