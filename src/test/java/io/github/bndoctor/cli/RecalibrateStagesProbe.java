package io.github.bndoctor.cli;

import io.github.bndoctor.backend.NativeSpeedSettings;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.remedy.PreciseBn;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.FullMobileNetV2;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The stages of {@code recalibrate} in one process, as {@link RecalibrateCommand#call} runs them, wall
 * seconds each from JVM start: ND4J start, model load, data open, the passes, save. Writes the
 * benchmark's model and data to target/recalibrate-speed if missing. Run (with the command line's
 * glibc settings) {@code java -cp ... io.github.bndoctor.cli.RecalibrateStagesProbe BATCH}.
 */
final class RecalibrateStagesProbe {
    private RecalibrateStagesProbe() {
    }

    public static void main(String[] args) throws Exception {
        long jvm = ManagementFactory.getRuntimeMXBean().getStartTime();
        double main = (System.currentTimeMillis() - jvm) / 1e3;
        int batch = Integer.parseInt(args[0]);
        Path dir = Path.of("target", "recalibrate-speed");
        long t0 = System.nanoTime();
        NativeSpeedSettings.applyDefaults();
        NativeThreads.limit(1);
        Nd4j.create(1);
        long t1 = System.nanoTime();
        if (!Files.exists(dir.resolve("x.npy"))) {
            Files.createDirectories(dir);
            ModelSerializer.writeModel(FullMobileNetV2.build(96, 1), dir.resolve("mobilenetv2.zip").toFile(), true);
            Nd4j.getRandom().setSeed(7);
            Nd4j.writeAsNumpy(Nd4j.rand(DataType.FLOAT, 512, 3, 96, 96), dir.resolve("x.npy").toFile());
            t1 = System.nanoTime();
        }
        BnNetwork net = BnNetwork.requireBatchNorm(ModelFiles.load(dir.resolve("mobilenetv2.zip")));
        long t2 = System.nanoTime();
        DataFiles d = DataFiles.load(dir.resolve("x.npy"), null, net.params().dataType());
        d.requireFits(net);
        DataFiles.Batches batches = d.batches(batch);
        long t3 = System.nanoTime();
        PreciseBn.recalibrate(net, batches.asIterator(), 512, PopulationEstimator.POOLED, 1);
        long t4 = System.nanoTime();
        ModelFiles.save(dir.resolve("mobilenetv2.zip"), net.model(), dir.resolve("probe-out.zip"));
        long t5 = System.nanoTime();
        System.out.printf(Locale.ROOT, "batch %d: main at %.2f s; nd4j %.2f, load %.2f, data %.2f, passes %.2f, save %.2f s%n",
                batch, main, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9, (t5 - t4) / 1e9);
    }
}
