package io.github.bndoctor.cli;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.probe.ProbeFixtures;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.NetworkKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code recalibrate} leaves IN byte-identical and writes OUT with the precise statistics of an independent computation. */
final class RecalibrateCommandTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void writesPreciseStatisticsAndNeverTouchesTheInput(NetworkKind kind) throws Exception {
        Path in = CliFixtures.trainedModel(dir, "in.zip", kind);
        Path x = CliFixtures.features(dir, "x.npy", 70, CliFixtures.FEATURES);
        byte[] before = Files.readAllBytes(in);
        Path out = dir.resolve("out.zip");

        CliRunner.Result r = CliFixtures.run("recalibrate", "--model", in.toString(), "--data", x.toString(), "--out",
                out.toString(), "--samples", "48", "--batch", "16");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("before:", "after:", "wrote");
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }

        // independent: the loaded IN model, the first 48 examples in batches of 16, its own feedForward
        BnNetwork original = BnNetwork.requireBatchNorm(ModelFiles.load(in));
        INDArray all = Nd4j.createFromNpyFile(x.toFile());
        List<INDArray[]> batches = new ArrayList<>();
        for (int s = 0; s < 48; s += 16) {
            batches.add(new INDArray[] {all.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(s, s + 16),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).dup()});
        }
        // pooled mean and biased variance of each BN layer's training-mode input, by a direct double loop
        Map<String, MeanVariance> expected = new LinkedHashMap<>();
        for (int li = 0; li < 2; li++) {
            expected.put(original.bnLayers().get(li).name(), ProbeFixtures.pooledBnInput(original, batches, Layout.DENSE, li));
        }
        Map<String, MeanVariance> written = MovingStatistics.readAll(BnNetwork.requireBatchNorm(ModelFiles.load(out)));
        Map<String, MeanVariance> old = MovingStatistics.readAll(original);
        assertThat(written.keySet()).containsExactlyElementsOf(expected.keySet());
        for (String layer : expected.keySet()) {
            double[] em = expected.get(layer).mean();
            double[] ev = expected.get(layer).variance();
            double[] wm = written.get(layer).mean();
            double[] wv = written.get(layer).variance();
            for (int c = 0; c < em.length; c++) {
                assertThat(wm[c]).as(layer + " mean " + c).isCloseTo(em[c], within(1e-5 * (1 + Math.abs(em[c]))));
                assertThat(wv[c]).as(layer + " var " + c).isCloseTo(ev[c], within(1e-4 * (1 + ev[c])));
            }
            assertThat(written.get(layer)).isNotEqualTo(old.get(layer));
        }
    }

    /** {@code --workers}: the same statistics, bit for bit, at any value; out-of-range values are one line and exit 1. */
    @ParameterizedTest
    @EnumSource(NetworkKind.class)
    void workersWriteTheSameStatisticsAndAreValidated(NetworkKind kind) throws Exception {
        Path in = CliFixtures.trainedModel(dir, "in.zip", kind);
        Path x = CliFixtures.features(dir, "x.npy", 70, CliFixtures.FEATURES);
        Map<Integer, Map<String, MeanVariance>> written = new LinkedHashMap<>();
        int max = Runtime.getRuntime().availableProcessors();
        for (int w : new int[] {1, Math.min(2, max), max}) {
            Path out = dir.resolve("out-" + w + ".zip");
            CliRunner.Result r = CliFixtures.run("recalibrate", "--model", in.toString(), "--data", x.toString(), "--out",
                    out.toString(), "--samples", "70", "--batch", "16", "--workers", String.valueOf(w));
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.out()).contains(w + " worker(s)");
            written.put(w, MovingStatistics.readAll(BnNetwork.requireBatchNorm(ModelFiles.load(out))));
        }
        Map<String, MeanVariance> serial = written.get(1);
        written.forEach((w, stats) -> serial.forEach((layer, mv) -> {
            assertThat(stats.get(layer).mean()).as(w + " workers, " + layer).isEqualTo(mv.mean());
            assertThat(stats.get(layer).variance()).as(w + " workers, " + layer).isEqualTo(mv.variance());
        }));
        for (String bad : new String[] {"0", "-1", String.valueOf(max + 1)}) {
            CliRunner.Result r = CliFixtures.run("recalibrate", "--model", in.toString(), "--data", x.toString(), "--out",
                    dir.resolve("bad.zip").toString(), "--workers", bad);
            assertThat(r.exitCode()).as(bad).isEqualTo(Main.INPUT_ERROR);
            assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
            assertThat(r.err()).contains("--workers must be between 1 and " + max, "got " + bad);
            assertThat(dir.resolve("bad.zip")).doesNotExist();
        }
    }
}
