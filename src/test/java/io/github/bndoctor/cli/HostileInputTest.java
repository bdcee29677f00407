package io.github.bndoctor.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.MovingStatistics;
import io.github.bndoctor.io.NpyBytes;
import io.github.bndoctor.probe.PreciseStatistics;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.stats.PopulationEstimator;
import io.github.bndoctor.testkit.NetworkKind;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Malformed and hostile files and options, generated on the fly, through the command line in child
 * JVMs with a 512 MB heap: each gets exit code 1 and one line on stderr naming the file and the
 * problem, with no stack trace, no crash (no {@code hs_err} file), no output and unchanged inputs.
 * Zip bombs (an entry inflating to 1 GiB, streamed from compressible data) complete within that heap.
 * Valid but unusual layouts (Fortran order, big-endian, float64, a column-major DataSet file) give
 * the statistics of the plain file.
 */
final class HostileInputTest {
    private static final int N = 32;
    private static final int F = CliFixtures.FEATURES;
    private static final String HEAP = "-Xmx512m";
    /** Inflated size of the zip bombs' entry: 1 GiB of zeros, twice the child's heap. */
    private static final long BOMB = 1L << 30;

    @TempDir
    static Path dir;
    private static float[] values;
    private static Path model;
    private static Path graph;
    private static Path x;
    private static Path y;
    private static byte[] bombDeflated;
    private static long bombCrc;

    @BeforeAll
    static void files() throws IOException {
        model = CliFixtures.trainedModel(dir, "m.zip", NetworkKind.MULTI_LAYER);
        graph = CliFixtures.trainedModel(dir, "g.zip", NetworkKind.GRAPH);
        Random r = new Random(42);
        values = new float[N * F];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (1 + 2 * r.nextGaussian());
        }
        x = npy("x.npy", "<f4", false, "(" + N + ", " + F + ")", NpyBytes.float32(values, N, F, ByteOrder.LITTLE_ENDIAN, false));
        float[] oneHot = new float[N * 2];
        for (int i = 0; i < N; i++) {
            oneHot[2 * i + i % 2] = 1;
        }
        y = npy("y.npy", "<f4", false, "(" + N + ", 2)", NpyBytes.float32(oneHot, N, 2, ByteOrder.LITTLE_ENDIAN, false));
        deflateBomb();
    }

    private static Path npy(String name, String descr, boolean fortran, String shape, byte[] body) throws IOException {
        return NpyBytes.write(dir.resolve(name), 1, NpyBytes.header(descr, fortran, shape), body);
    }

    /** 1 GiB of zeros, deflated once by streaming (about 1 MB), reused as the entry of every bomb. */
    private static void deflateBomb() {
        Deflater d = new Deflater(Deflater.BEST_SPEED, true);
        CRC32 crc = new CRC32();
        byte[] zeros = new byte[1 << 20];
        byte[] buf = new byte[1 << 16];
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (long done = 0; done < BOMB; done += zeros.length) {
            crc.update(zeros);
            d.setInput(zeros);
            while (!d.needsInput()) {
                out.write(buf, 0, d.deflate(buf));
            }
        }
        d.finish();
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        bombDeflated = out.toByteArray();
        bombCrc = crc.getValue();
    }

    /** A copy of {@code source} with {@code name} replaced by (or added as) the 1 GiB bomb entry. */
    @SuppressWarnings("deprecation")
    private static Path withBomb(Path source, String name, String target) throws IOException {
        Path file = dir.resolve(target);
        try (ZipFile src = new ZipFile(source.toFile()); ZipArchiveOutputStream z = new ZipArchiveOutputStream(file.toFile())) {
            for (ZipArchiveEntry e : Collections.list(src.getEntries())) {
                if (!e.getName().equals(name)) {
                    try (InputStream raw = src.getRawInputStream(e)) {
                        z.addRawArchiveEntry(e, raw);
                    }
                }
            }
            ZipArchiveEntry bomb = new ZipArchiveEntry(name);
            bomb.setMethod(ZipEntry.DEFLATED);
            bomb.setSize(BOMB);
            bomb.setCompressedSize(bombDeflated.length);
            bomb.setCrc(bombCrc);
            z.addRawArchiveEntry(bomb, new ByteArrayInputStream(bombDeflated));
        }
        return file;
    }

    /** A copy of {@code source} with the given entries replaced. */
    @SuppressWarnings("deprecation")
    private static Path withEntries(Path source, Map<String, byte[]> replace, String target) throws IOException {
        Path file = dir.resolve(target);
        try (ZipFile src = new ZipFile(source.toFile()); ZipArchiveOutputStream z = new ZipArchiveOutputStream(file.toFile())) {
            for (ZipArchiveEntry e : Collections.list(src.getEntries())) {
                z.putArchiveEntry(new ZipArchiveEntry(e.getName()));
                try (InputStream in = src.getInputStream(e)) {
                    z.write(replace.containsKey(e.getName()) ? replace.get(e.getName()) : in.readAllBytes());
                }
                z.closeArchiveEntry();
            }
        }
        return file;
    }

    @SuppressWarnings("deprecation")
    private static byte[] entry(Path zip, String name) throws IOException {
        try (ZipFile z = new ZipFile(zip.toFile()); InputStream in = z.getInputStream(z.getEntry(name))) {
            return in.readAllBytes();
        }
    }

    /** One command line and what it must give. */
    private record Case(String name, int exit, List<String> mentions, Path output, String[] args) {
    }

    private static final List<Case> CASES = new ArrayList<>();

    private static void bad(String name, Path output, List<String> mentions, String... args) {
        CASES.add(new Case(name, Main.INPUT_ERROR, mentions, output, args));
    }

    /** The same bad data through recalibrate --data, diagnose --data and (for .npy) diagnose --labels. */
    private static void badData(Path file, boolean asLabels, String... mentions) {
        String n = file.getFileName().toString();
        List<String> m = new ArrayList<>(List.of(mentions));
        m.add(n);
        Path o = dir.resolve("o-" + n + ".zip");
        Path j = dir.resolve("d-" + n + ".json");
        bad("recalibrate --data " + n, o, m, "recalibrate", "--model", model.toString(), "--data", file.toString(), "--out",
                o.toString());
        bad("diagnose --data " + n, j, m, "diagnose", "--model", graph.toString(), "--data", file.toString(), "--json",
                j.toString());
        if (asLabels) {
            Path jl = dir.resolve("dl-" + n + ".json");
            bad("diagnose --labels " + n, jl, m, "diagnose", "--model", model.toString(), "--data", x.toString(), "--labels",
                    file.toString(), "--json", jl.toString());
        }
    }

    /** The same bad model through inspect, diagnose --model and recalibrate --model. */
    private static void badModel(Path file, String... mentions) {
        String n = file.getFileName().toString();
        List<String> m = new ArrayList<>(List.of(mentions));
        m.add(n);
        Path o = dir.resolve("o-" + n);
        Path j = dir.resolve("d-" + n + ".json");
        bad("inspect " + n, null, m, "inspect", "--model", file.toString());
        bad("diagnose --model " + n, j, m, "diagnose", "--model", file.toString(), "--data", x.toString(), "--json",
                j.toString());
        bad("recalibrate --model " + n, o, m, "recalibrate", "--model", file.toString(), "--data", x.toString(), "--out",
                o.toString());
    }

    private static byte[] rows(int rows) {
        return Arrays.copyOf(NpyBytes.float32(values, N, F, ByteOrder.LITTLE_ENDIAN, false), rows * F * 4);
    }

    private static void buildCases() throws IOException {
        String shape = "(" + N + ", " + F + ")";
        // .npy files: each was a crash, a wrong statistic or a misleading message with the native loader
        badData(npy("short.npy", "<f4", false, "(" + (N + 1) + ", " + F + ")", rows(N)), true,
                "body has " + N * F * 4 + " bytes", "needs exactly " + (N + 1) * F * 4 + " bytes");
        badData(npy("long.npy", "<f4", false, "(" + (N - 1) + ", " + F + ")", rows(N)), true,
                "body has " + N * F * 4 + " bytes", "needs exactly " + (N - 1) * F * 4 + " bytes");
        badData(npy("unicode.npy", "<U5", false, shape, new byte[N * F * 20]), true, "unsupported .npy element type '<U5'");
        badData(npy("object.npy", "|O", false, shape, new byte[N * F * 8]), true, "unsupported .npy element type '|O'");
        badData(NpyBytes.write(dir.resolve("dict.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape,
                rows(N)), true, "malformed .npy header");
        badData(npy("huge.npy", "<f4", false, "(1000000000000, " + F + ")", rows(N)), true,
                "needs exactly " + 1000000000000L * F * 4 + " bytes");
        badData(npy("overflow.npy", "<f4", false, "(4294967296, 4294967296, 4294967296)", rows(N)), true,
                "more elements than a file can hold");
        byte[] lying = Files.readAllBytes(x);
        lying[8] = (byte) 0xff;
        lying[9] = (byte) 0xff;
        badData(Files.write(dir.resolve("headerlen.npy"), lying), true, "header claims 65535 bytes");
        badData(Files.write(dir.resolve("empty.npy"), new byte[0]), true, "magic");
        badData(Files.writeString(dir.resolve("junk.npy"), "not numpy"), true, "magic");
        float[] withNaN = values.clone();
        withNaN[5 * F + 2] = Float.NaN;
        badData(npy("nan.npy", "<f4", false, shape, NpyBytes.float32(withNaN, N, F, ByteOrder.LITTLE_ENDIAN, false)), false,
                "example 5 holds a non-finite value");
        float[] withInf = new float[N * 2];
        withInf[7] = Float.POSITIVE_INFINITY;
        Path yInf = npy("yinf.npy", "<f4", false, "(" + N + ", 2)", NpyBytes.float32(withInf, N, 2, ByteOrder.LITTLE_ENDIAN,
                false));
        bad("diagnose --labels yinf.npy", dir.resolve("d-yinf.json"), List.of("yinf.npy", "example 3 holds a non-finite"),
                "diagnose", "--model", model.toString(), "--data", x.toString(), "--labels", yInf.toString(), "--json",
                dir.resolve("d-yinf.json").toString());
        badData(npy("rank1.npy", "<f4", false, "(" + N + ",)", rows(N / F)), false, "shape [" + N + "]");
        badData(npy("onerow.npy", "<f4", false, "(1, " + F + ")", rows(1)), false, "at least two examples");
        badData(npy("nocols.npy", "<f4", false, "(" + N + ", 0)", new byte[0]), false, "at least one value");
        Path y31 = npy("y31.npy", "<f4", false, "(31, 2)", new byte[31 * 2 * 4]);
        bad("diagnose --labels y31.npy", dir.resolve("d-y31.json"), List.of("y31.npy", "31 examples", "32"), "diagnose",
                "--model", model.toString(), "--data", x.toString(), "--labels", y31.toString(), "--json",
                dir.resolve("d-y31.json").toString());
        Path sub = Files.createDirectories(dir.resolve("adir.npy"));
        badData(sub, false, "is a directory");
        badData(dir.resolve("missing.npy"), false, "does not exist");

        // DataSet files
        INDArray features = Nd4j.create(values, new long[] {N, F}, 'c');
        Path ds = dir.resolve("ds.bin");
        new DataSet(features, Nd4j.zeros(DataType.FLOAT, N, 2)).save(ds.toFile());
        byte[] dsBytes = Files.readAllBytes(ds);
        badData(Files.write(dir.resolve("ds-short.bin"), Arrays.copyOf(dsBytes, dsBytes.length - 7)), false, "truncated");
        Path masked = dir.resolve("ds-masks.bin");
        new DataSet(features, Nd4j.zeros(DataType.FLOAT, N, 2), Nd4j.ones(DataType.FLOAT, N, 1), null).save(masked.toFile());
        badData(masked, false, "masks");

        // model zips
        badModel(Files.write(dir.resolve("corrupt.zip"), "PK\u0003\u0004 this is not really a zip".getBytes(
                StandardCharsets.US_ASCII)), "is not a readable zip");
        badModel(Files.write(dir.resolve("empty.zip"), new byte[0]), "is not a readable zip");
        badModel(withEntries(model, Map.of("configuration.json", "{not json".getBytes(StandardCharsets.UTF_8)), "notjson.zip"),
                "configuration.json is not valid JSON");
        long n = BnNetwork.of(ModelFiles.load(model)).params().length();
        byte[] coefficients = entry(model, "coefficients.bin");
        byte[] more = ByteBuffer.allocate(coefficients.length + 4).put(coefficients).putFloat(1f).array();
        int lengthAt = coefficients.length - (int) n * 4 - 2 - "FLOAT".length() - 8;
        ByteBuffer.wrap(more).putLong(lengthAt, n + 1);
        badModel(withEntries(model, Map.of("coefficients.bin", more), "count.zip"),
                "coefficients.bin: data holds " + (n + 1) + " elements but shape", "needs " + n);
        badModel(withEntries(model, Map.of("coefficients.bin", Arrays.copyOf(coefficients, coefficients.length - 5)),
                "trunc.zip"), "truncated");
        badModel(withBomb(model, "configuration.json", "bomb-config.zip"), "'configuration.json' inflates past its limit");
        badModel(withBomb(model, "coefficients.bin", "bomb-coefficients.zip"), "coefficients.bin");

        // options
        Path o = dir.resolve("o-options.zip");
        bad("--threads 10000", o, List.of("--threads must be between 1 and"), "recalibrate", "--threads", "10000", "--model",
                model.toString(), "--data", x.toString(), "--out", o.toString());
        bad("--out = --data", null, List.of("--out", "is the input file"), "recalibrate", "--model", model.toString(),
                "--data", x.toString(), "--out", x.toString());
        bad("--out = --data, relative", null, List.of("is the input file"), "recalibrate", "--model", model.toString(),
                "--data", x.toString(), "--out", "./x.npy");
        bad("--out = --data via ..", null, List.of("is the input file"), "recalibrate", "--model", model.toString(),
                "--data", x.toString(), "--out", dir.resolve("adir.npy").resolve("..").resolve("x.npy").toString());
        Path link = Files.createSymbolicLink(dir.resolve("link.zip"), model);
        bad("--out = symlink to --model", null, List.of("is the input file"), "recalibrate", "--model", model.toString(),
                "--data", x.toString(), "--out", link.toString());
        bad("--out empty", null, List.of("--out is empty"), "recalibrate", "--model", model.toString(), "--data",
                x.toString(), "--out", "");
        bad("--json = --labels", null, List.of("--json", "is the input file"), "diagnose", "--model", model.toString(),
                "--data", x.toString(), "--labels", y.toString(), "--json", y.toString());
        bad("inspect --planned-iterations -5", null, List.of("--planned-iterations must be >= 1"), "inspect", "--model",
                model.toString(), "--planned-iterations", "-5");
        Path j = dir.resolve("d-planned.json");
        bad("diagnose --planned-iterations -5", j, List.of("--planned-iterations must be >= 1"), "diagnose", "--model",
                model.toString(), "--data", x.toString(), "--planned-iterations", "-5", "--json", j.toString());
    }

    private static Map<String, String> hashes() throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                MessageDigest md;
                try {
                    md = MessageDigest.getInstance("SHA-256");
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
                out.put(dir.relativize(p).toString(), HexFormat.of().formatHex(md.digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    private static String classpath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    private static Process start(Path err, Path out, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), HEAP,
                "-cp", classpath(), main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(err.toFile())
                .redirectOutput(out.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    private static int await(Process p) throws InterruptedException {
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish within 300 s");
        }
        return p.exitValue();
    }

    private static void assertNoCrashFiles(SoftAssertions soft) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            soft.assertThat(files.map(p -> p.getFileName().toString()))
                    .as("crash logs and temporary files").noneMatch(f -> f.startsWith("hs_err") || f.endsWith(".tmp"));
        }
    }

    private static void assertInputError(SoftAssertions soft, String name, int exit, String err, List<String> mentions) {
        soft.assertThat(exit).as(name + ": exit code; stderr " + err).isEqualTo(Main.INPUT_ERROR);
        soft.assertThat(err.strip().lines().count()).as(name + ": one line on stderr: " + err).isEqualTo(1);
        soft.assertThat(err).as(name).startsWith("bn-doctor: ").doesNotContain("\tat ", "Exception:")
                .contains(mentions);
    }

    @Test
    void everyMalformedFileAndOptionIsOneClearErrorInASmallHeap() throws Exception {
        buildCases();
        // 1. crash risks through the real Main (System.exit, native code, out of memory), one JVM each,
        // started next to the batch JVM below
        Path work = Files.createDirectories(dir.resolve("adir.npy").resolve("logs"));
        List<Case> real = List.of(
                CASES.stream().filter(c -> c.name().equals("recalibrate --data short.npy")).findFirst().orElseThrow(),
                CASES.stream().filter(c -> c.name().equals("diagnose --labels unicode.npy")).findFirst().orElseThrow(),
                CASES.stream().filter(c -> c.name().equals("--threads 10000")).findFirst().orElseThrow(),
                CASES.stream().filter(c -> c.name().equals("inspect bomb-config.zip")).findFirst().orElseThrow());
        ObjectMapper json = new ObjectMapper();
        Path casesFile = work.resolve("cases.jsonl");
        List<String> lines = new ArrayList<>();
        for (Case c : CASES) {
            lines.add(json.writeValueAsString(c.args()));
        }
        Files.write(casesFile, lines);
        Map<String, String> before = hashes();

        Path resultsFile = work.resolve("results.json");
        Process batch = start(work.resolve("batch.err"), work.resolve("batch.out"), HostileBatch.class.getName(),
                casesFile.toString(), resultsFile.toString());
        SoftAssertions soft = new SoftAssertions();
        for (int i = 0; i < real.size(); i++) {
            Case c = real.get(i);
            Path err = work.resolve("real" + i + ".err");
            Path out = work.resolve("real" + i + ".out");
            int exit = await(start(err, out, Main.class.getName(), c.args()));
            String stdout = Files.readString(out);
            assertInputError(soft, "real JVM: " + c.name(), exit, Files.readString(err), c.mentions());
            soft.assertThat(stdout).as(c.name() + ": stdout").doesNotContain("fatal error", "SIGSEGV", "hs_err");
        }
        int batchExit = await(batch);
        soft.assertThat(batchExit).as("batch JVM exit; stderr " + Files.readString(work.resolve("batch.err"))).isZero();
        soft.assertThat(Files.readString(work.resolve("batch.out"))).doesNotContain("fatal error", "SIGSEGV");
        List<Map<String, Object>> results = json.readValue(resultsFile.toFile(), new TypeReference<>() {
        });
        assertThat(results).hasSize(CASES.size());
        for (int i = 0; i < CASES.size(); i++) {
            Case c = CASES.get(i);
            Map<String, Object> r = results.get(i);
            assertInputError(soft, c.name(), (Integer) r.get("exit"), (String) r.get("err"), c.mentions());
            if (c.output() != null) {
                soft.assertThat(c.output()).as(c.name() + ": no output").doesNotExist();
            }
        }
        assertNoCrashFiles(soft);
        Map<String, String> after = hashes();
        after.keySet().removeIf(k -> k.startsWith("adir.npy"));
        before.keySet().removeIf(k -> k.startsWith("adir.npy"));
        soft.assertThat(after).as("inputs byte-identical, nothing added").isEqualTo(before);
        soft.assertAll();
    }

    @Test
    void unusedBombEntryIsCarriedWithoutInflatingAndStaleTemporariesAreRemoved() throws Exception {
        Path bomb = withBomb(graph, "extra/unused.bin", "bomb-unused.zip");
        Path out = dir.resolve("r-bomb.zip");
        Path stale = dir.resolve(".r-bomb.zip.bn-doctor-999999999-1.tmp");
        Files.write(stale, new byte[10]);
        Path work = Files.createTempDirectory(dir, "w");
        List<String> lines = List.of(
                new ObjectMapper().writeValueAsString(new String[] {"inspect", "--model", bomb.toString()}),
                new ObjectMapper().writeValueAsString(new String[] {"recalibrate", "--model", bomb.toString(), "--data",
                        x.toString(), "--out", out.toString(), "--samples", "1"}));
        Files.write(work.resolve("cases.jsonl"), lines);
        byte[] before = Files.readAllBytes(bomb);
        int exit = await(start(work.resolve("err"), work.resolve("out"), HostileBatch.class.getName(),
                work.resolve("cases.jsonl").toString(), work.resolve("results.json").toString()));
        assertThat(exit).as(Files.readString(work.resolve("err"))).isZero();
        List<Map<String, Object>> results = new ObjectMapper().readValue(work.resolve("results.json").toFile(),
                new TypeReference<>() {
                });
        assertThat(results.get(0).get("exit")).as(results.get(0).toString()).isEqualTo(Main.OK);
        assertThat(results.get(1).get("exit")).as(results.get(1).toString()).isEqualTo(Main.OK);
        // --samples 1 still takes one whole batch of 16: the message says so
        assertThat((String) results.get(1).get("out")).contains("from 16 example(s)");
        assertThat(Files.readAllBytes(bomb)).isEqualTo(before);
        assertThat(stale).as("temporary file of a process that no longer runs").doesNotExist();
        try (ZipFile z = new ZipFile(out.toFile())) {
            ZipArchiveEntry e = z.getEntry("extra/unused.bin");
            assertThat(e.getSize()).isEqualTo(BOMB);
            try (InputStream raw = z.getRawInputStream(e)) {
                assertThat(raw.readAllBytes()).isEqualTo(bombDeflated);
            }
        }
    }

    @Test
    void fortranOrderBigEndianAndFloat64GiveThePlainFilesStatistics() throws Exception {
        // independent route: ND4J's own reader of the plain file, batches of 16, the pooled estimator
        BnNetwork original = BnNetwork.requireBatchNorm(ModelFiles.load(model));
        INDArray all = Nd4j.createFromNpyFile(x.toFile());
        List<INDArray[]> batches = new ArrayList<>();
        for (int s = 0; s < N; s += 16) {
            batches.add(new INDArray[] {all.get(NDArrayIndex.interval(s, s + 16), NDArrayIndex.all()).dup()});
        }
        Map<String, MeanVariance> expected = PreciseStatistics.estimate(original, batches.iterator(), N,
                PopulationEstimator.POOLED);

        ByteBuffer f8 = ByteBuffer.allocate(N * F * 8).order(ByteOrder.BIG_ENDIAN);
        for (int k = 0; k < N * F; k++) {
            f8.putDouble(values[(k % N) * F + k / N]);   // column-major
        }
        Path ds = dir.resolve("ds-fortran.bin");
        new DataSet(Nd4j.create(values, new long[] {N, F}, 'c').dup('f'), null).save(ds.toFile());
        String shape = "(" + N + ", " + F + ")";
        List<Path> variants = List.of(x,
                npy("fortran.npy", "<f4", true, shape, NpyBytes.float32(values, N, F, ByteOrder.LITTLE_ENDIAN, true)),
                npy("big.npy", ">f4", false, shape, NpyBytes.float32(values, N, F, ByteOrder.BIG_ENDIAN, false)),
                npy("big-fortran-f8.npy", ">f8", true, shape, f8.array()),
                ds);
        for (Path v : variants) {
            Path out = dir.resolve("r-" + v.getFileName() + ".zip");
            CliRunner.Result r = CliFixtures.run("recalibrate", "--model", model.toString(), "--data", v.toString(), "--out",
                    out.toString(), "--samples", String.valueOf(N), "--batch", "16");
            assertThat(r.exitCode()).as(v + ": " + r.err()).isZero();
            Map<String, MeanVariance> written = MovingStatistics.readAll(BnNetwork.requireBatchNorm(ModelFiles.load(out)));
            for (String layer : expected.keySet()) {
                double[] em = expected.get(layer).mean();
                double[] ev = expected.get(layer).variance();
                for (int c = 0; c < em.length; c++) {
                    // identical float inputs; the statistics are stored in float32 (mean) and log10(stdev)
                    // float32 (variance): relative 1e-5 covers that rounding and nothing else
                    assertThat(written.get(layer).mean()[c]).as(v + " " + layer + " mean " + c)
                            .isCloseTo(em[c], within(1e-5 * (1 + Math.abs(em[c]))));
                    assertThat(written.get(layer).variance()[c]).as(v + " " + layer + " var " + c)
                            .isCloseTo(ev[c], within(1e-4 * (1 + ev[c])));
                }
            }
        }
    }
}
