package io.github.bndoctor.spark;

import io.github.bndoctor.BnDoctorException;
import io.github.bndoctor.io.ArrayFile;
import io.github.bndoctor.io.ExampleFiles;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A directory of data shards ({@code .npy} feature arrays or DL4J {@code DataSet} files, told
 * apart by content) as a distributed data set of network inputs. The driver opens every shard with
 * the hardened readers of {@code io.github.bndoctor.io} (headers only: shape, type and exact length
 * are checked before anything is read) and cuts it into chunks of at most one batch; each task
 * reopens its shards and reads only its chunks, each read bounded by the chunk's size. The
 * directory must be visible at the same path to the driver and every executor (a shared file
 * system, or one machine).
 *
 * @param files the shards, in name order
 * @param exampleShape the shape of one example ({@code shape[1..]}), the same in every shard
 * @param examples examples over all shards
 */
public record ShardDirectory(List<Path> files, long[] exampleShape, long examples) {
    /** One read of a task: {@code count} examples of a shard from {@code from}. */
    record Chunk(String file, long from, int count) implements Serializable {
    }

    /**
     * @param dir the directory; hidden files and subdirectories are ignored
     * @return its shards
     * @throws BnDoctorException if it is not a directory, holds no shard, a shard is malformed, or
     *     shards disagree on the example shape
     */
    public static ShardDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BnDoctorException("data directory " + dir + " does not exist or is not a directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new BnDoctorException("data directory " + dir + " cannot be listed (" + e.getMessage() + ")", e);
        }
        if (files.isEmpty()) {
            throw new BnDoctorException("data directory " + dir + " holds no data file");
        }
        long[] shape = null;
        long examples = 0;
        for (Path f : files) {
            ArrayFile x = ExampleFiles.open(f, null).features();
            long[] s = Arrays.copyOfRange(x.shape(), 1, x.shape().length);
            if (shape == null) {
                shape = s;
            } else if (!Arrays.equals(shape, s)) {
                throw new BnDoctorException("shard " + f + " holds examples of shape " + Arrays.toString(s) + ", shard "
                        + files.get(0) + " of shape " + Arrays.toString(shape));
            }
            examples += x.examples();
        }
        return new ShardDirectory(files, shape, examples);
    }

    /**
     * @param sc the Spark context
     * @param batchSize largest chunk, in examples (one forward batch)
     * @param partitions number of partitions; chunks are dealt out in order, so with fewer
     *     partitions than shards a partition holds whole neighbouring shards
     * @param type the network's data type
     * @return the shards' examples, read by the tasks
     */
    public JavaRDD<INDArray[]> features(JavaSparkContext sc, int batchSize, int partitions, DataType type) {
        if (batchSize < 2 || partitions < 1) {
            throw new IllegalArgumentException("need batch size >= 2 and at least one partition");
        }
        List<Chunk> chunks = new ArrayList<>();
        for (Path f : files) {
            long n = ExampleFiles.open(f, null).features().examples();
            for (long from = 0; from < n; from += batchSize) {
                chunks.add(new Chunk(f.toAbsolutePath().toString(), from, (int) Math.min(batchSize, n - from)));
            }
        }
        String typeName = type.name();
        return sc.parallelize(chunks, partitions).map(c -> new INDArray[] {
            ExampleFiles.open(Paths.get(c.file()), null).features().read(c.from(), c.count(), DataType.valueOf(typeName))});
    }
}
