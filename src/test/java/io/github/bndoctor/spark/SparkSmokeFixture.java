package io.github.bndoctor.spark;

import org.deeplearning4j.util.ModelSerializer;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.testkit.NetworkKind;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes the inputs of ci/spark-submit-smoke.sh: DIR/in.zip and DIR/shards/ (two .npy shards, one DataSet file). */
public final class SparkSmokeFixture {
    private SparkSmokeFixture() {
    }

    /**
     * @param args the output directory
     * @throws Exception on a write error
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path shards = Files.createDirectories(dir.resolve("shards"));
        ModelSerializer.writeModel(ProbeFixtures.net(NetworkKind.GRAPH, Layout.NCHW).model(), dir.resolve("in.zip").toFile(), false);
        List<INDArray[]> b = ProbeFixtures.batches(Layout.NCHW, 6, 11);
        Nd4j.writeAsNumpy(Nd4j.concat(0, b.get(0)[0], b.get(1)[0], b.get(2)[0]), shards.resolve("a.npy").toFile());
        Nd4j.writeAsNumpy(Nd4j.concat(0, b.get(3)[0], b.get(4)[0]), shards.resolve("b.npy").toFile());
        new DataSet(b.get(5)[0], ProbeFixtures.labels(b.get(5)[0], 0)).save(shards.resolve("c.bin").toFile());
    }
}
