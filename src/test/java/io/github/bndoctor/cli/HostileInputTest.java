package io.github.bndoctor.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
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
 *
 * <p>The second round (docs/input-limits.md): outputs that are a FIFO, a device node made with
 * mknod in the temporary directory, or links to them, are refused and the nodes stay what they were;
 * a failing {@code --report} leaves no {@code --json}; a directory with a user's files is refused; values
 * finite in float64 but infinite in float32, and statistics that overflow float32, are refused; zips
 * with a wrong CRC, overlapping entries or 200,000 entries (under 128 MB) are refused; configuration
 * values out of their domain (edited into a real saved zip) give a lint and a run, a negative iteration
 * count exit 1; the BN-layer bound, {@code @FIFO} taken literally, a 244-character output name, a
 * previous report replaced twice, and {@code b1} bytes other than 0/1 read as NumPy does.
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
        secondRound();
    }

    /** Command lines that must run (exit 0, or 3 for a failed gate) and print or write what they name. */
    private static final List<Case> RUNS = new ArrayList<>();
    /** Special files that must still be what they were after every case: path and {@code unix:mode} file type. */
    private static final Map<Path, Integer> SPECIAL = new TreeMap<>();

    private static void runs(String name, Path output, List<String> stdout, String... args) {
        RUNS.add(new Case(name, Main.OK, stdout, output, args));
    }

    /** A copy of the saved model with its configuration edited by {@code regex -> replacement}. */
    private static Path withConfig(String target, String... regexThenReplacement) throws IOException {
        String conf = new String(entry(model, "configuration.json"), StandardCharsets.UTF_8);
        String edited = conf;
        for (int i = 0; i < regexThenReplacement.length; i += 2) {
            String before = edited;
            edited = edited.replaceAll(regexThenReplacement[i], regexThenReplacement[i + 1]);
            assertThat(edited).as(target + ": edit " + regexThenReplacement[i] + " applies").isNotEqualTo(before);
        }
        assertThat(edited).as(target + ": the edit applies").isNotEqualTo(conf);
        return withEntries(model, Map.of("configuration.json", edited.getBytes(StandardCharsets.UTF_8)), target);
    }

    /** A copy of {@code source} with every entry STORED and {@code name}'s bytes changed after its CRC was taken. */
    @SuppressWarnings("deprecation")
    private static Path withBadCrc(Path source, String name, java.util.function.UnaryOperator<byte[]> damage, String target)
            throws IOException {
        Path file = dir.resolve(target);
        try (ZipFile src = new ZipFile(source.toFile()); ZipArchiveOutputStream z = new ZipArchiveOutputStream(file.toFile())) {
            for (ZipArchiveEntry e : Collections.list(src.getEntries())) {
                byte[] b;
                try (InputStream in = src.getInputStream(e)) {
                    b = in.readAllBytes();
                }
                CRC32 crc = new CRC32();
                crc.update(b);
                ZipArchiveEntry out = new ZipArchiveEntry(e.getName());
                out.setMethod(ZipEntry.STORED);
                out.setSize(b.length);
                out.setCompressedSize(b.length);
                out.setCrc(crc.getValue());
                z.addRawArchiveEntry(out, new ByteArrayInputStream(e.getName().equals(name) ? damage.apply(b.clone()) : b));
            }
        }
        return file;
    }

    /**
     * A zip written byte by byte: the saved model's entries STORED, plus one 64 KiB entry that
     * {@code copies} central-directory entries all point at.
     */
    private static Path overlapping(String target, int copies) throws IOException {
        java.io.ByteArrayOutputStream local = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream central = new java.io.ByteArrayOutputStream();
        List<String> names = new ArrayList<>(List.of("configuration.json", "coefficients.bin", "extra/blob.bin"));
        long blobOffset = 0;
        int entries = 0;
        for (String name : names) {
            byte[] b = name.equals("extra/blob.bin") ? new byte[1 << 16] : entry(model, name);
            CRC32 crc = new CRC32();
            crc.update(b);
            long offset = local.size();
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            ByteBuffer h = ByteBuffer.allocate(30).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(0x04034b50).putShort((short) 10).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) crc.getValue()).putInt(b.length).putInt(b.length).putShort((short) n.length).putShort((short) 0);
            local.write(h.array());
            local.write(n);
            local.write(b);
            int times = name.equals("extra/blob.bin") ? copies : 1;
            for (int k = 0; k < times; k++) {
                byte[] cn = (times == 1 ? name : name + "." + k).getBytes(StandardCharsets.UTF_8);
                ByteBuffer c = ByteBuffer.allocate(46).order(ByteOrder.LITTLE_ENDIAN);
                c.putInt(0x02014b50).putShort((short) 20).putShort((short) 10).putShort((short) 0).putShort((short) 0)
                        .putInt(0).putInt((int) crc.getValue()).putInt(b.length).putInt(b.length)
                        .putShort((short) cn.length).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                        .putShort((short) 0).putInt(0).putInt((int) offset);
                central.write(c.array());
                central.write(cn);
                entries++;
            }
        }
        ByteBuffer end = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) entries).putShort((short) entries)
                .putInt(central.size()).putInt(local.size()).putShort((short) 0);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        local.writeTo(all);
        central.writeTo(all);
        all.write(end.array());
        return Files.write(dir.resolve(target), all.toByteArray());
    }

    /** A zip of {@code n} empty STORED entries (about 50 bytes each in the central directory). */
    private static Path manyEntries(String target, int n) throws IOException {
        Path file = dir.resolve(target);
        try (ZipArchiveOutputStream z = new ZipArchiveOutputStream(file.toFile())) {
            z.setMethod(ZipEntry.STORED);
            for (int i = 0; i < n; i++) {
                ZipArchiveEntry e = new ZipArchiveEntry(Integer.toString(i, 36));
                e.setMethod(ZipEntry.STORED);
                e.setSize(0);
                e.setCrc(0);
                z.putArchiveEntry(e);
                z.closeArchiveEntry();
            }
        }
        return file;
    }

    private static Path npyDoubles(String name, double[] v, int rows, int cols) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) {
            b.putDouble(d);
        }
        return npy(name, "<f8", false, "(" + rows + ", " + cols + ")", b.array());
    }

    private static void secondRound() throws IOException {
        String m = model.toString();
        String xs = x.toString();
        // outputs that are not regular files: refused before any work, the node left as it was
        Path fifo = dir.resolve("fifo");
        Path dev = dir.resolve("null-device");
        try {
            new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
            new ProcessBuilder("mknod", dev.toString(), "c", "1", "3").start().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Path special : List.of(fifo, dev)) {
            if (Files.exists(special, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                SPECIAL.put(special, mode(special));
                String n = special.getFileName().toString();
                bad("recalibrate --out " + n, null, List.of(n, "not a regular file"), "recalibrate", "--model", m, "--data",
                        xs, "--out", special.toString());
                Path link = Files.createSymbolicLink(dir.resolve("link-to-" + n), special);
                bad("diagnose --json link to " + n, null, List.of("link-to-" + n, "symbolic link"), "diagnose", "--model", m,
                        "--data", xs, "--json", link.toString());
            }
        }
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling.json"), dir.resolve("no-such-target.json"));
        bad("diagnose --json dangling link", null, List.of("dangling.json", "missing file"), "diagnose", "--model", m,
                "--data", xs, "--json", dangling.toString());
        // all outputs or none: a --report that cannot be written leaves no --json; a foreign directory is refused
        Path j = dir.resolve("d-all-or-none.json");
        bad("diagnose --json ok --report is a file", j, List.of("y.npy", "a regular file, not a directory"), "diagnose",
                "--model", m, "--data", xs, "--json", j.toString(), "--report", y.toString());
        Path home = Files.createDirectories(dir.resolve("home"));
        Files.writeString(home.resolve("notes.txt"), "a user's file");
        Path j2 = dir.resolve("d-home.json");
        bad("diagnose --report a directory with other files", j2, List.of("home", "holds other files"), "diagnose",
                "--model", m, "--data", xs, "--json", j2.toString(), "--report", home.toString());
        // values: non-finite after conversion to float, statistics that overflow float, CRCs, overlap, entry count
        double[] big = new double[N * F];
        for (int i = 0; i < big.length; i++) {
            big[i] = values[i];
        }
        big[3 * F + 1] = 1e39;
        badData(npyDoubles("f8-1e39.npy", big, N, F), false, "example 3 holds a non-finite value as FLOAT", "element 1");
        double[] labels = new double[N * 2];
        labels[2 * 6 + 1] = -1e39;
        Path yBig = npyDoubles("y-1e39.npy", labels, N, 2);
        bad("diagnose --labels y-1e39.npy", dir.resolve("d-ybig.json"), List.of("y-1e39.npy", "example 6", "element 1"),
                "diagnose", "--model", m, "--data", xs, "--labels", yBig.toString(), "--json",
                dir.resolve("d-ybig.json").toString());
        float[] huge = values.clone();
        for (int i = 0; i < huge.length; i++) {
            huge[i] *= 1e25f;
        }
        Path xHuge = npy("x-1e25.npy", "<f4", false, "(" + N + ", " + F + ")", NpyBytes.float32(huge, N, F,
                ByteOrder.LITTLE_ENDIAN, false));
        Path oHuge = dir.resolve("o-1e25.zip");
        bad("recalibrate --data x-1e25.npy", oHuge, List.of("BN layer", "overflow"), "recalibrate", "--model", m,
                "--data", xHuge.toString(), "--out", oHuge.toString());
        badModel(withBadCrc(model, "coefficients.bin", b -> {
            b[b.length - 3] ^= 0x40;
            return b;
        }, "crc-coefficients.zip"), "'coefficients.bin' fails its CRC-32");
        badModel(withBadCrc(model, "configuration.json", b -> {
            b[b.length - 1] = (byte) (b[b.length - 1] == ' ' ? '\n' : ' ');
            return b;
        }, "crc-configuration.zip"), "'configuration.json' fails its CRC-32");
        badModel(overlapping("overlap.zip", 64), "overlap");
        // configuration values out of their domain: a lint where the model can be diagnosed, exit 1 for training state
        badModel(withConfig("iterations-negative.zip", "\"iterationCount\"\\s*:\\s*\\d+", "\"iterationCount\" : -5"),
                "negative iteration count -5");
        for (String[] edit : List.of(
                new String[] {"beta1-one.zip", "\"beta1\"\\s*:\\s*[-0-9.eE]+", "\"beta1\" : 1.0"},
                new String[] {"beta1-negative.zip", "\"beta1\"\\s*:\\s*[-0-9.eE]+", "\"beta1\" : -0.5"},
                new String[] {"lr-negative.zip", "\"learningRate\"\\s*:\\s*[-0-9.eE]+", "\"learningRate\" : -0.01"},
                new String[] {"beta2-one.zip", "\"beta2\"\\s*:\\s*[-0-9.eE]+", "\"beta2\" : 1.0"},
                new String[] {"momentum-one.zip", "org\\.nd4j\\.linalg\\.learning\\.config\\.Adam\"",
                        "org.nd4j.linalg.learning.config.Nesterovs\"", "\"beta1\"\\s*:\\s*[-0-9.eE]+", "\"momentum\" : 1.0"},
                new String[] {"l2-lr-infinite.zip", "\"learningRate\"\\s*:\\s*[-0-9.eE]+", "\"learningRate\" : 1e300",
                        "\"regularization\"\\s*:\\s*\\[\\s*\\]", "\"regularization\" : [ {\"@class\" :"
                        + " \"org.nd4j.linalg.learning.regularization.L2Regularization\", \"l2\" : {\"@class\" :"
                        + " \"org.nd4j.linalg.schedule.FixedSchedule\", \"value\" : 1e300} } ]"})) {
            Path edited = withConfig(edit[0], Arrays.copyOfRange(edit, 1, edit.length));
            runs("inspect " + edit[0], null, List.of("configuration-out-of-domain"), "inspect", "--model",
                    edited.toString());
            Path o = dir.resolve("adir.npy").resolve("r-" + edit[0]);
            runs("recalibrate --model " + edit[0], o, List.of("wrote"), "recalibrate", "--model", edited.toString(),
                    "--data", xs, "--out", o.toString());
        }
        // layer bounds: refused from the configuration alone, before anything is built
        String conf = new String(entry(model, "configuration.json"), StandardCharsets.UTF_8);
        JsonNode tree = new ObjectMapper().readTree(conf);
        com.fasterxml.jackson.databind.node.ArrayNode confs = (com.fasterxml.jackson.databind.node.ArrayNode) tree.get("confs");
        JsonNode bn = null;
        for (JsonNode c : confs) {
            if (c.toString().contains("BatchNormalization")) {
                bn = c;
            }
        }
        // one BN layer over the bound: the model has 2, add MAX_BN_LAYERS - 1
        for (int k = 0; k < io.github.bndoctor.io.ModelZip.Limits.MAX_BN_LAYERS - 1; k++) {
            confs.insert(confs.size() - 1, bn.deepCopy());
        }
        badModel(withEntries(model, Map.of("configuration.json", tree.toString().getBytes(StandardCharsets.UTF_8)),
                "many-bn.zip"), (io.github.bndoctor.io.ModelZip.Limits.MAX_BN_LAYERS + 1) + " BatchNormalization layers, over the limit of "
                + io.github.bndoctor.io.ModelZip.Limits.MAX_BN_LAYERS);
        // no @-file expansion: a FIFO nobody writes would block the reader forever
        if (Files.exists(fifo)) {
            bad("inspect @fifo", null, List.of("@" + fifo), "inspect", "--model", "@" + fifo);
        }
        // names of 244 characters: the temporary name must still fit the file system's 255 bytes
        Path longOut = dir.resolve("adir.npy").resolve("r".repeat(240) + ".zip");
        runs("recalibrate --out of 244 characters", longOut, List.of("wrote"), "recalibrate", "--model", m, "--data", xs,
                "--out", longOut.toString());
        // a previous report is replaced as a whole
        Path again = dir.resolve("adir.npy").resolve("report-again");
        runs("diagnose --report into a previous report", again.resolve("index.html"), List.of("wrote"), "diagnose",
                "--model", m, "--data", xs, "--report", again.toString());
        runs("diagnose --report into it again", again.resolve("index.html"), List.of("wrote"), "diagnose", "--model", m,
                "--data", xs, "--report", again.toString());
        // b1: any non-zero byte is true (numpy's rule), read as 1
        byte[] anyTrue = new byte[N * F];
        byte[] oneTrue = new byte[N * F];
        Random r = new Random(7);
        for (int i = 0; i < anyTrue.length; i++) {
            int v = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(255);
            anyTrue[i] = (byte) v;
            oneTrue[i] = (byte) (v != 0 ? 1 : 0);
        }
        String shape = "(" + N + ", " + F + ")";
        for (String[] b : List.of(new String[] {"bool-any.npy", "any"}, new String[] {"bool-01.npy", "01"})) {
            Path f = npy(b[0], "|b1", false, shape, b[1].equals("any") ? anyTrue : oneTrue);
            Path o = dir.resolve("adir.npy").resolve("r-" + b[0] + ".zip");
            runs("recalibrate --data " + b[0], o, List.of("wrote"), "recalibrate", "--model", m, "--data", f.toString(),
                    "--out", o.toString(), "--samples", String.valueOf(N));
        }
    }

    private static int mode(Path p) throws IOException {
        return ((Integer) Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)) & 0170000;
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
        return start(HEAP, err, out, main, args);
    }

    private static Process start(String heap, Path err, Path out, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap,
                "-cp", classpath(), main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(err.toFile())
                .redirectOutput(out.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        // the environment recalibrate and diagnose --model restart themselves with (Relaunch): one JVM per case
        pb.environment().putAll(io.github.bndoctor.backend.NativeMemorySettings.ENVIRONMENT);
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
        for (Case c : RUNS) {
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
        // 200,000 central-directory entries under a 128 MB heap: refused while the directory is read
        Path many = manyEntries("many-entries.zip", 200_000);
        long t0 = System.nanoTime();
        int manyExit = await(start("-Xmx128m", work.resolve("many.err"), work.resolve("many.out"), Main.class.getName(),
                "inspect", "--model", many.toString()));
        double manySeconds = (System.nanoTime() - t0) / 1e9;
        assertInputError(soft, "inspect many-entries.zip under -Xmx128m", manyExit, Files.readString(work.resolve("many.err")),
                List.of("many-entries.zip", "lists more than 10000 zip entries"));
        // a JVM start plus a walk of 10 MB: well under the minute the entries took to read before
        soft.assertThat(manySeconds).as("seconds to refuse 200,000 entries").isLessThan(60);
        Files.delete(many);
        int batchExit = await(batch);
        soft.assertThat(batchExit).as("batch JVM exit; stderr " + Files.readString(work.resolve("batch.err"))).isZero();
        soft.assertThat(Files.readString(work.resolve("batch.out"))).doesNotContain("fatal error", "SIGSEGV");
        List<Map<String, Object>> results = json.readValue(resultsFile.toFile(), new TypeReference<>() {
        });
        assertThat(results).hasSize(CASES.size() + RUNS.size());
        for (int i = 0; i < RUNS.size(); i++) {
            Case c = RUNS.get(i);
            Map<String, Object> r = results.get(CASES.size() + i);
            soft.assertThat((Integer) r.get("exit")).as(c.name() + ": exit; stderr " + r.get("err"))
                    .isIn(Main.OK, Main.GATE_FAILED);
            soft.assertThat((String) r.get("out")).as(c.name()).contains(c.mentions());
            if (c.output() != null) {
                soft.assertThat(c.output()).as(c.name() + ": output").isRegularFile();
            }
        }
        for (Map.Entry<Path, Integer> e : SPECIAL.entrySet()) {
            soft.assertThat(mode(e.getKey())).as(e.getKey() + " is still the node it was").isEqualTo(e.getValue());
        }
        soft.assertThat(Files.readString(dir.resolve("home").resolve("notes.txt"))).isEqualTo("a user's file");
        try (Stream<Path> left = Files.list(dir.resolve("adir.npy"))) {
            soft.assertThat(left.map(p -> p.getFileName().toString())).as("temporaries beside the outputs")
                    .noneMatch(f -> f.endsWith(".tmp"));
        }
        Map<String, MeanVariance> anyTrue = MovingStatistics.readAll(BnNetwork.requireBatchNorm(ModelFiles.load(
                dir.resolve("adir.npy").resolve("r-bool-any.npy.zip"))));
        Map<String, MeanVariance> oneTrue = MovingStatistics.readAll(BnNetwork.requireBatchNorm(ModelFiles.load(
                dir.resolve("adir.npy").resolve("r-bool-01.npy.zip"))));
        for (String layer : oneTrue.keySet()) {
            // the same 0/1 inputs by numpy's rule: the same arithmetic, so equal to the last bit
            soft.assertThat(anyTrue.get(layer).mean()).as("b1 any-byte mean " + layer).isEqualTo(oneTrue.get(layer).mean());
            soft.assertThat(anyTrue.get(layer).variance()).as("b1 any-byte variance " + layer)
                    .isEqualTo(oneTrue.get(layer).variance());
        }
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
