package io.github.bndoctor.io;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ModelZip} against DL4J's own {@code ModelSerializer} (the independent route) and against hostile zips. */
@Tag("unit")
final class ModelZipTest {
    @TempDir
    Path dir;

    private static BnNetwork trained(NetworkKind kind) {
        BnNetwork net = TinyBnNetworks.twoBlocks(kind, Layout.DENSE, 4, 8, 1, 0.99, VarianceParameterisation.LOG10_STDEV,
                new Adam(1e-2), 7L);
        GaussianBatches g = new GaussianBatches(Layout.DENSE, 16, 1, 1, new double[] {1, 2, 3, 4},
                new double[] {1, 2, 1, 2}, 3L);
        for (int i = 0; i < 5; i++) {
            INDArray y = Nd4j.zeros(DataType.FLOAT, 16, 2);
            for (int r = 0; r < 16; r++) {
                y.putScalar(r, r % 2, 1f);
            }
            net.fit(new DataSet(g.next(), y));
        }
        return net;
    }

    private static final Map<NetworkKind, byte[]> SAVED = new java.util.EnumMap<>(NetworkKind.class);

    /** A model saved by ModelSerializer with updater state and a normaliser (trained once per kind). */
    private Path saved(NetworkKind kind, String name) throws IOException {
        Path file = dir.resolve(name);
        if (!SAVED.containsKey(kind)) {
            SAVED.put(kind, Files.readAllBytes(train(kind, dir.resolve("first-" + name))));
        }
        return Files.write(file, SAVED.get(kind));
    }

    private static Path train(NetworkKind kind, Path file) throws IOException {
        BnNetwork net = trained(kind);
        if (net.model() instanceof MultiLayerNetwork m) {
            ModelSerializer.writeModel(m, file.toFile(), true);
        } else {
            ModelSerializer.writeModel((ComputationGraph) net.model(), file.toFile(), true);
        }
        NormalizerStandardize norm = new NormalizerStandardize();
        norm.fit(new DataSet(Nd4j.rand(DataType.FLOAT, 8, 4), Nd4j.rand(DataType.FLOAT, 8, 2)));
        ModelSerializer.addNormalizerToModel(file.toFile(), norm);
        return file;
    }

    private static Map<String, byte[]> entries(Path zip) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) {
                try (InputStream in = z.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    @Test
    void loadsWhatModelSerializerLoads() throws IOException {
        for (NetworkKind kind : NetworkKind.values()) {
            Path file = saved(kind, kind + ".zip");
            Model mine = ModelZip.load(file);
            Model theirs = kind == NetworkKind.MULTI_LAYER ? ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false)
                    : ModelSerializer.restoreComputationGraph(file.toFile(), false);
            assertThat(mine.getClass()).isEqualTo(theirs.getClass());
            assertThat(mine.params().dataType()).isEqualTo(theirs.params().dataType());
            assertThat(mine.params().toDoubleVector()).containsExactly(theirs.params().toDoubleVector());
            INDArray x = Nd4j.rand(DataType.FLOAT, 3, 4);
            INDArray[] a = BnNetwork.of(mine).output(new INDArray[] {x}, false);
            INDArray[] b = BnNetwork.of(theirs).output(new INDArray[] {x}, false);
            assertThat(a[0].ravel().toDoubleVector()).containsExactly(b[0].ravel().toDoubleVector());
        }
    }

    @Test
    void rewriteCarriesEveryEntryAndChangesOnlyTheParameters() throws IOException {
        for (NetworkKind kind : NetworkKind.values()) {
            Path in = saved(kind, "in-" + kind + ".zip");
            byte[] before = Files.readAllBytes(in);
            BnNetwork net = BnNetwork.of(ModelZip.load(in));
            BnLayerRef bn = net.bnLayers().get(0);
            double[] mean = new double[bn.channels()];
            double[] var = new double[bn.channels()];
            for (int c = 0; c < mean.length; c++) {
                mean[c] = 0.25 * c;
                var[c] = 1 + c;
            }
            Map<String, MeanVariance> stats = new LinkedHashMap<>(MovingStatistics.readAll(net));
            stats.put(bn.name(), new MeanVariance(mean, var));
            MovingStatistics.writeAll(net, stats);
            Path out = dir.resolve("out-" + kind + ".zip");
            ModelZip.writeWithParameters(in, net.model(), out);

            assertThat(Files.readAllBytes(in)).isEqualTo(before);
            Map<String, byte[]> a = entries(in);
            Map<String, byte[]> b = entries(out);
            assertThat(b.keySet()).containsExactlyElementsOf(a.keySet()).contains("updaterState.bin", "normalizer.bin");
            a.forEach((name, bytes) -> {
                if (!name.equals(ModelZip.COEFFICIENTS)) {
                    assertThat(b.get(name)).as(name).isEqualTo(bytes);
                }
            });
            // DL4J's own loader reads the output with its updater state, and sees the new statistics
            Model back = kind == NetworkKind.MULTI_LAYER ? ModelSerializer.restoreMultiLayerNetwork(out.toFile(), true)
                    : ModelSerializer.restoreComputationGraph(out.toFile(), true);
            Model orig = kind == NetworkKind.MULTI_LAYER ? ModelSerializer.restoreMultiLayerNetwork(in.toFile(), true)
                    : ModelSerializer.restoreComputationGraph(in.toFile(), true);
            assertThat(updaterState(back)).containsExactly(updaterState(orig));
            MeanVariance read = MovingStatistics.read(BnNetwork.of(back), bn);
            // float32 storage: the variance goes through log10(stdev) and back, relative error ~ a few ulp of float
            for (int c = 0; c < mean.length; c++) {
                assertThat(read.mean()[c]).isEqualTo(mean[c]);
                assertThat(read.variance()[c]).isCloseTo(var[c], org.assertj.core.data.Offset.offset(1e-5 * var[c]));
            }
            // every parameter but the two BN statistics of that layer is bit-identical
            double[] p0 = orig.params().toDoubleVector();
            double[] p1 = back.params().toDoubleVector();
            int changed = 0;
            for (int i = 0; i < p0.length; i++) {
                if (p0[i] != p1[i]) {
                    changed++;
                }
            }
            assertThat(changed).isBetween(1, 2 * bn.channels());
        }
    }

    private static double[] updaterState(Model m) {
        INDArray s = m instanceof MultiLayerNetwork n ? n.getUpdater().getStateViewArray()
                : ((ComputationGraph) m).getUpdater().getStateViewArray();
        return s.toDoubleVector();
    }

    /** Copies {@code source}'s entries, replacing or adding the given ones. */
    private Path zip(String name, Path source, Map<String, byte[]> replace) throws IOException {
        Path file = dir.resolve(name);
        Map<String, byte[]> e = source == null ? new LinkedHashMap<>() : entries(source);
        e.putAll(replace);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> x : e.entrySet()) {
                z.putNextEntry(new ZipEntry(x.getKey()));
                z.write(x.getValue());
                z.closeEntry();
            }
        }
        return file;
    }

    private static void assertRefused(Path f, ModelZip.Limits limits, String... mentions) {
        byte[] before;
        try {
            before = Files.readAllBytes(f);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        assertThatThrownBy(() -> ModelZip.load(f, limits)).isInstanceOf(InputFileException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContainingAll(mentions);
        try {
            assertThat(Files.readAllBytes(f)).isEqualTo(before);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] nd4j(INDArray a) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(b)) {
            Nd4j.write(a, d);
        }
        return b.toByteArray();
    }

    @Test
    void coefficientsMustMatchTheConfigurationsParameterCount() throws IOException {
        Path good = saved(NetworkKind.MULTI_LAYER, "good.zip");
        long n = ModelZip.load(good).numParams();
        ModelZip.Limits d = ModelZip.Limits.defaults();
        for (long k : new long[] {n - 1, n + 1}) {
            Path bad = zip("count" + k + ".zip", good, Map.of(ModelZip.COEFFICIENTS, nd4j(Nd4j.rand(DataType.FLOAT, 1, k))));
            assertRefused(bad, d, "coefficients.bin holds " + k + " parameters but the configuration needs " + n);
        }
        byte[] exact = nd4j(Nd4j.rand(DataType.FLOAT, 1, n));
        assertThat(ModelZip.load(zip("exact.zip", good, Map.of(ModelZip.COEFFICIENTS, exact))).numParams()).isEqualTo(n);
        byte[] truncated = java.util.Arrays.copyOf(exact, exact.length - 3);
        assertRefused(zip("trunc.zip", good, Map.of(ModelZip.COEFFICIENTS, truncated)), d, "truncated");
        byte[] longer = java.util.Arrays.copyOf(exact, exact.length + 1);
        assertRefused(zip("long.zip", good, Map.of(ModelZip.COEFFICIENTS, longer)), d, "data after");
        // a header claiming 2^40 elements is refused by its count, before any allocation
        byte[] huge = exact.clone();
        int lengthAt = indexOfDataLength(exact);
        java.nio.ByteBuffer.wrap(huge).putLong(lengthAt, 1L << 40);
        assertRefused(zip("huge.zip", good, Map.of(ModelZip.COEFFICIENTS, huge)), d, "holds 1099511627776 elements");
        // a parameter limit below the model's size refuses it before reading the coefficients
        ModelZip.Limits small = new ModelZip.Limits(d.configurationBytes(), 4096 + 4 * (n - 1), d.totalBytes(), 100);
        assertRefused(good, small, "configuration has " + n + " parameters, over the limit of " + (n - 1));
    }

    /** Offset of the data buffer's length field in {@code Nd4j.write} output (after the shape buffer). */
    private static int indexOfDataLength(byte[] b) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b);
        int p = 2 + buf.getShort(0);
        long shapeLength = buf.getLong(p);
        p += 8;
        p += 2 + buf.getShort(p) + 8 * (int) shapeLength;
        return p + 2 + buf.getShort(p);
    }

    @Test
    void refusesBadConfigurations() throws IOException {
        Path good = saved(NetworkKind.MULTI_LAYER, "good.zip");
        ModelZip.Limits d = ModelZip.Limits.defaults();
        assertRefused(zip("nojson.zip", good, Map.of(ModelZip.CONFIGURATION, "{not json".getBytes(StandardCharsets.UTF_8))),
                d, "configuration.json is not valid JSON");
        assertRefused(zip("other.zip", good, Map.of(ModelZip.CONFIGURATION, "{\"a\": 1}".getBytes(StandardCharsets.UTF_8))),
                d, "neither a MultiLayerNetwork nor a ComputationGraph");
        assertRefused(zip("badconfs.zip", good, Map.of(ModelZip.CONFIGURATION,
                "{\"confs\": [{\"layer\": 7}]}".getBytes(StandardCharsets.UTF_8))), d, "configuration");
        assertRefused(zip("noconf.zip", null, Map.of("x.txt", new byte[3])), d, "zip without configuration.json");
        assertRefused(Files.write(dir.resolve("notzip.zip"), "PK\u0003\u0004 not a zip".getBytes(StandardCharsets.US_ASCII)),
                d, "is not a readable zip");
    }

    @Test
    void configurationPastItsLimitIsRefusedWhileInflating() throws IOException {
        Path good = saved(NetworkKind.MULTI_LAYER, "good.zip");
        byte[] conf = entries(good).get(ModelZip.CONFIGURATION);
        ModelZip.Limits d = ModelZip.Limits.defaults();
        // at the limit it loads, one byte under it is refused naming the limit
        assertThat(ModelZip.load(good, new ModelZip.Limits(conf.length, d.parameterBytes(), d.totalBytes(), 100)))
                .isNotNull();
        assertRefused(good, new ModelZip.Limits(conf.length - 1, d.parameterBytes(), d.totalBytes(), 100),
                "'configuration.json' inflates past its limit of " + (conf.length - 1));
        assertRefused(good, new ModelZip.Limits(d.configurationBytes(), d.parameterBytes(), conf.length - 1, 100),
                "the total limit of " + (conf.length - 1));
    }

    @Test
    void unknownEntriesAreNeverInflatedButCarriedRaw() throws IOException {
        // an entry whose deflate data is garbage: inflating it would fail, so loading and rewriting prove it never is
        Path good = saved(NetworkKind.GRAPH, "good.zip");
        Path file = dir.resolve("garbage.zip");
        byte[] garbage = new byte[4096];
        new java.util.Random(5).nextBytes(garbage);
        try (org.apache.commons.compress.archivers.zip.ZipFile src =
                     new org.apache.commons.compress.archivers.zip.ZipFile(good.toFile());
             ZipArchiveOutputStream z = new ZipArchiveOutputStream(file.toFile())) {
            for (ZipArchiveEntry e : Collections.list(src.getEntries())) {
                z.addRawArchiveEntry(e, src.getRawInputStream(e));
            }
            ZipArchiveEntry bomb = new ZipArchiveEntry("extra/unknown.bin");
            bomb.setMethod(ZipEntry.DEFLATED);
            bomb.setSize(1L << 31);
            bomb.setCompressedSize(garbage.length);
            bomb.setCrc(12345);
            z.addRawArchiveEntry(bomb, new ByteArrayInputStream(garbage));
        }
        BnNetwork net = BnNetwork.of(ModelZip.load(file));
        Path out = dir.resolve("out.zip");
        ModelZip.writeWithParameters(file, net.model(), out);
        try (org.apache.commons.compress.archivers.zip.ZipFile z = new org.apache.commons.compress.archivers.zip.ZipFile(
                out.toFile())) {
            ZipArchiveEntry e = z.getEntry("extra/unknown.bin");
            assertThat(e.getSize()).isEqualTo(1L << 31);
            try (InputStream raw = z.getRawInputStream(e)) {
                assertThat(raw.readAllBytes()).isEqualTo(garbage);
            }
        }
    }

    @Test
    void refusesDuplicateEntries() throws IOException {
        Path good = saved(NetworkKind.MULTI_LAYER, "good.zip");
        Path file = dir.resolve("dup.zip");
        byte[] conf = entries(good).get(ModelZip.CONFIGURATION);
        try (ZipArchiveOutputStream z = new ZipArchiveOutputStream(file.toFile())) {
            for (int i = 0; i < 2; i++) {
                z.putArchiveEntry(new ZipArchiveEntry(ModelZip.CONFIGURATION));
                z.write(conf);
                z.closeArchiveEntry();
            }
        }
        assertRefused(file, ModelZip.Limits.defaults(), "'configuration.json' twice");
    }
}
