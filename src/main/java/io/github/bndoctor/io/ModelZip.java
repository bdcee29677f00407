package io.github.bndoctor.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.bndoctor.report.AtomicFiles;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads and rewrites DL4J model zips ({@code ModelSerializer}'s format: {@code configuration.json},
 * {@code coefficients.bin}, and optionally {@code updaterState.bin}, {@code normalizer.bin} and
 * others) with bounded memory and no trust in the zip.
 *
 * <p>Loading inflates exactly two entries, each through a counting stream that stops at its
 * limit: the configuration (at most {@link Limits#configurationBytes()}) and the coefficients,
 * whose element count is checked against the parameter count the configuration implies before
 * anything is allocated for them. No other entry is ever inflated. Rewriting copies every entry
 * but {@code coefficients.bin} as raw compressed bytes, so the updater state, the normaliser and
 * any other entry reach the output byte for byte, still never inflated.
 */
public final class ModelZip {
    /** The configuration entry. */
    public static final String CONFIGURATION = "configuration.json";
    /** The parameters entry. */
    public static final String COEFFICIENTS = "coefficients.bin";
    private static final int HEADER_SLACK = 4096;

    private ModelZip() {
    }

    /**
     * Limits on what loading a model may inflate.
     *
     * @param configurationBytes the most bytes {@code configuration.json} may inflate to
     * @param parameterBytes the most bytes {@code coefficients.bin} may inflate to (checked
     *     against the configuration's parameter count before reading)
     * @param totalBytes the most bytes all entries read may inflate to together
     * @param entries the most entries the zip may list (counted while the central directory is
     *     read, before the zip reader holds any entry)
     * @param layers the most layers (MultiLayerNetwork) or vertices (ComputationGraph) the
     *     configuration may hold
     * @param bnLayers the most BatchNormalization layers the configuration may hold
     */
    public record Limits(long configurationBytes, long parameterBytes, long totalBytes, int entries, int layers,
                         int bnLayers) {
        /** Default of {@link #layers()}: several times the layers of a ResNet-152 graph. */
        public static final int MAX_LAYERS = 4096;
        /** Default of {@link #bnLayers()}: over six times the 155 BN layers of a ResNet-152. */
        public static final int MAX_BN_LAYERS = 1024;

        /**
         * Limits with the default layer bounds.
         *
         * @param configurationBytes the most bytes {@code configuration.json} may inflate to
         * @param parameterBytes the most bytes {@code coefficients.bin} may inflate to
         * @param totalBytes the most bytes all entries read may inflate to together
         * @param entries the most entries the zip may list
         */
        public Limits(long configurationBytes, long parameterBytes, long totalBytes, int entries) {
            this(configurationBytes, parameterBytes, totalBytes, entries, MAX_LAYERS, MAX_BN_LAYERS);
        }

        /**
         * @return 16 MiB of configuration, a quarter of the JVM's heap limit (at most 4 GiB) of
         *     parameters and in total, 10,000 entries, {@value #MAX_LAYERS} layers (graph vertices)
         *     of which at most {@value #MAX_BN_LAYERS} BN layers
         */
        public static Limits defaults() {
            long params = Math.min(Runtime.getRuntime().maxMemory() / 4, 4L << 30);
            return new Limits(16L << 20, params, params, 10_000);
        }
    }

    /**
     * @param file a {@code MultiLayerNetwork} or {@code ComputationGraph} saved by {@code ModelSerializer}
     * @return the network, without updater state
     * @throws InputFileException naming the file and the problem
     */
    public static Model load(Path file) {
        return load(file, Limits.defaults());
    }

    /**
     * @param file a {@code MultiLayerNetwork} or {@code ComputationGraph} saved by {@code ModelSerializer}
     * @param limits what may be inflated
     * @return the network, without updater state
     * @throws InputFileException naming the file and the problem
     */
    public static Model load(Path file, Limits limits) {
        InputFileException.requireReadableFile(file, "a model zip");
        try (ZipFile zip = open(file, limits)) {
            long[] total = {0};
            String json = new String(inflate(zip, file, CONFIGURATION, limits.configurationBytes(), limits, total),
                    StandardCharsets.UTF_8);
            Object conf = configuration(file, json);
            requireWithinBounds(file, conf, limits);
            long n = parameterCount(file, conf);
            ZipArchiveEntry coefficients = zip.getEntry(COEFFICIENTS);
            INDArray params = null;
            DataType type = conf instanceof MultiLayerConfiguration m ? m.getDataType()
                    : ((ComputationGraphConfiguration) conf).getDataType();
            if (coefficients == null) {
                if (n != 0) {
                    throw new InputFileException(file, "has no " + COEFFICIENTS + " but its configuration has " + n
                            + " parameters");
                }
            } else {
                params = parameters(zip, coefficients, file, n, limits, total);
                type = params.dataType();
            }
            return build(file, conf, type, params);
        } catch (IOException e) {
            throw new InputFileException(file, "is not a readable zip (" + describe(e) + ")", e);
        }
    }

    /**
     * Writes {@code model}'s parameters into a copy of {@code original}: {@code coefficients.bin}
     * is rewritten, every other entry (configuration, updater state, normaliser, anything else) is
     * copied as raw compressed bytes. The target is written atomically ({@link AtomicFiles}). The
     * parameters are deflated with Huffman coding only ({@link HuffmanOnlyZip}).
     *
     * @param original the zip the model was loaded from
     * @param model the model, with the same configuration and parameter count
     * @param target the file to write
     */
    public static void writeWithParameters(Path original, Model model, Path target) {
        AtomicFiles.writePath(target, tmp -> {
            boolean wrote = false;
            try (ZipFile in = open(original, Limits.defaults());
                 ZipArchiveOutputStream out = new HuffmanOnlyZip(tmp.toFile())) {
                for (ZipArchiveEntry e : Collections.list(in.getEntries())) {
                    if (e.getName().equals(COEFFICIENTS)) {
                        ZipArchiveEntry fresh = new ZipArchiveEntry(COEFFICIENTS);
                        fresh.setTime(e.getTime());
                        out.putArchiveEntry(fresh);
                        DataOutputStream d = new DataOutputStream(new BufferedOutputStream(new FilterOutputStream(out) {
                            @Override
                            public void write(byte[] b, int off, int len) throws IOException {
                                out.write(b, off, len);
                            }

                            @Override
                            public void close() {
                                // the entry is closed by closeArchiveEntry, the zip by its owner
                            }
                        }));
                        Nd4j.write(model.params(), d);
                        d.flush();
                        out.closeArchiveEntry();
                        wrote = true;
                    } else {
                        try (InputStream raw = in.getRawInputStream(e)) {
                            out.addRawArchiveEntry(e, raw);
                        }
                    }
                }
            }
            if (!wrote) {
                throw new IOException(original + " has no " + COEFFICIENTS + " to replace");
            }
        });
    }

    @SuppressWarnings("deprecation")
    private static ZipFile open(Path file, Limits limits) throws IOException {
        if (CentralDirectory.countEntries(file, limits.entries()) > limits.entries()) {
            throw new InputFileException(file, "lists more than " + limits.entries() + " zip entries");
        }
        ZipFile zip = new ZipFile(file.toFile());
        try {
            Set<String> names = new HashSet<>();
            int count = 0;
            List<ZipArchiveEntry> all = Collections.list(zip.getEntries());
            for (ZipArchiveEntry e : all) {
                if (++count > limits.entries()) {
                    throw new InputFileException(file, "lists more than " + limits.entries() + " zip entries");
                }
                if (!names.add(e.getName())) {
                    throw new InputFileException(file, "lists the zip entry '" + e.getName() + "' twice");
                }
            }
            requireDisjoint(file, all);
            if (!names.contains(CONFIGURATION)) {
                throw new InputFileException(file, "is a zip without " + CONFIGURATION
                        + ": not a DL4J model saved with ModelSerializer");
            }
            return zip;
        } catch (RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    /**
     * Refuses central-directory entries whose data overlap (several entries pointing at one local
     * entry, the trick of a zip that multiplies its content when copied entry by entry): each entry's
     * compressed data is preceded by its own local header of at least 30 bytes and its name
     * (APPNOTE.TXT 4.3.7), so the next entry's data may start no earlier than that after the end of
     * this one's. Read from the data offsets the zip reader resolved from the local headers.
     */
    private static void requireDisjoint(Path file, List<ZipArchiveEntry> entries) {
        List<ZipArchiveEntry> byOffset = new ArrayList<>(entries);
        byOffset.sort(java.util.Comparator.comparingLong(ZipArchiveEntry::getDataOffset));
        for (int i = 1; i < byOffset.size(); i++) {
            ZipArchiveEntry a = byOffset.get(i - 1);
            ZipArchiveEntry b = byOffset.get(i);
            long end = a.getDataOffset() + Math.max(0, a.getCompressedSize());
            long bHeader = b.getDataOffset() - 30 - b.getName().getBytes(StandardCharsets.UTF_8).length;
            if (bHeader < end) {
                throw new InputFileException(file, "zip entries '" + a.getName() + "' and '" + b.getName()
                        + "' overlap (" + (a.getDataOffset() == b.getDataOffset() ? "both point at the data"
                        + " at byte " + a.getDataOffset() : "the second starts inside the first")
                        + "): a crafted or corrupt zip");
            }
        }
    }

    private static InputStream entry(ZipFile zip, Path file, ZipArchiveEntry e, long limit, Limits limits, long[] total)
            throws IOException {
        if (!zip.canReadEntryData(e)) {
            throw new InputFileException(file, "zip entry '" + e.getName() + "' uses an unsupported compression method");
        }
        long budget = Math.min(limit, limits.totalBytes() - total[0]);
        InputStream checked = new CrcCheckedStream(zip.getInputStream(e), e.getCrc(), e.getSize(),
                () -> new InputFileException(file, "zip entry '" + e.getName() + "' fails its CRC-32 or size check: the"
                        + " file is corrupt"));
        return new CountingInputStream(checked, budget, l -> new InputFileException(file, "zip entry '"
                + e.getName() + "' inflates past " + (l == limit ? "its limit of " + limit : "the total limit of "
                + limits.totalBytes()) + " bytes (a zip bomb, or a model too large for this JVM's heap)")) {
            @Override
            public void close() throws IOException {
                total[0] += count();
                super.close();
            }
        };
    }

    private static byte[] inflate(ZipFile zip, Path file, String name, long limit, Limits limits, long[] total)
            throws IOException {
        try (InputStream in = entry(zip, file, zip.getEntry(name), limit, limits, total)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    private static Object configuration(Path file, String json) {
        JsonNode tree;
        try {
            tree = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new InputFileException(file, CONFIGURATION + " is not valid JSON (" + describe(e) + ")", e);
        }
        boolean graph = tree != null && tree.has("vertices");
        if (tree == null || !tree.isObject() || !(graph || tree.has("confs"))) {
            throw new InputFileException(file, CONFIGURATION + " is neither a MultiLayerNetwork nor a ComputationGraph"
                    + " configuration (no 'confs' or 'vertices')");
        }
        try {
            return graph ? ComputationGraphConfiguration.fromJson(json) : MultiLayerConfiguration.fromJson(json);
        } catch (RuntimeException e) {
            throw new InputFileException(file, CONFIGURATION + " is not a valid " + (graph ? "ComputationGraph"
                    : "MultiLayerNetwork") + " configuration (" + describe(e) + ")", e);
        }
    }

    private static long parameterCount(Path file, Object conf) {
        try {
            long n = 0;
            if (conf instanceof MultiLayerConfiguration m) {
                for (NeuralNetConfiguration c : m.getConfs()) {
                    n = Math.addExact(n, requireNonNegative(c.getLayer().initializer().numParams(c)));
                }
            } else {
                for (GraphVertex v : ((ComputationGraphConfiguration) conf).getVertices().values()) {
                    n = Math.addExact(n, requireNonNegative(v.numParams(true)));
                }
            }
            return n;
        } catch (RuntimeException e) {
            throw new InputFileException(file, CONFIGURATION + ": its layers' parameter counts cannot be computed ("
                    + describe(e) + ")", e);
        }
    }

    private static long requireNonNegative(long n) {
        if (n < 0) {
            throw new ArithmeticException("negative parameter count " + n);
        }
        return n;
    }

    private static INDArray parameters(ZipFile zip, ZipArchiveEntry e, Path file, long n, Limits limits, long[] total)
            throws IOException {
        long most = Math.min(limits.parameterBytes(), limits.totalBytes() - total[0]);
        if (n > (most - HEADER_SLACK) / Float.BYTES || n > Integer.MAX_VALUE - 8) {
            throw new InputFileException(file, "its configuration has " + n + " parameters, over the limit of "
                    + Math.max(0, (most - HEADER_SLACK) / Float.BYTES) + " this JVM's heap allows (raise -Xmx)");
        }
        try (InputStream raw = entry(zip, file, e, most, limits, total);
             DataInputStream in = new DataInputStream(new BufferedInputStream(raw))) {
            Nd4jBinary.Header h = Nd4jBinary.readHeader(in, file, COEFFICIENTS);
            if (h.length() != n) {
                throw new InputFileException(file, COEFFICIENTS + " holds " + h.length() + " parameters but the"
                        + " configuration needs " + n);
            }
            if (h.bodyBytes() > most - HEADER_SLACK) {
                throw new InputFileException(file, COEFFICIENTS + ": " + n + " parameters of " + h.type() + " need "
                        + h.bodyBytes() + " bytes, over the limit of " + (most - HEADER_SLACK) + " (raise -Xmx)");
            }
            INDArray params;
            switch (h.type()) {
                case FLOAT64 -> {
                    double[] v = new double[(int) n];
                    Nd4jBinary.readValues(in, h, (i, x) -> v[i] = x);
                    params = Nd4j.create(v, new long[] {1, n}, 'c');
                }
                case FLOAT32, FLOAT16, BFLOAT16 -> {
                    float[] v = new float[(int) n];
                    Nd4jBinary.readValues(in, h, (i, x) -> v[i] = (float) x);
                    INDArray f = Nd4j.create(v, new long[] {1, n}, 'c');
                    params = h.type() == ElementType.FLOAT32 ? f
                            : f.castTo(h.type() == ElementType.FLOAT16 ? DataType.HALF : DataType.BFLOAT16);
                }
                default -> throw new InputFileException(file, COEFFICIENTS + " holds " + h.type()
                        + " values; parameters must be floating point");
            }
            if (in.read() >= 0) {
                throw new InputFileException(file, COEFFICIENTS + " has data after its " + n + " parameters");
            }
            return params;
        } catch (EOFException ex) {
            throw new InputFileException(file, COEFFICIENTS + " ends before its " + n + " parameters (truncated?)", ex);
        }
    }

    /**
     * Refuses, before any layer is built, a configuration over the layer bounds or with a negative
     * iteration or epoch count.
     */
    private static void requireWithinBounds(Path file, Object conf, Limits limits) {
        int layers;
        int bn = 0;
        long iterations;
        long epochs;
        if (conf instanceof MultiLayerConfiguration m) {
            layers = m.getConfs().size();
            for (NeuralNetConfiguration c : m.getConfs()) {
                bn += c.getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization ? 1 : 0;
            }
            iterations = m.getIterationCount();
            epochs = m.getEpochCount();
        } else {
            ComputationGraphConfiguration g = (ComputationGraphConfiguration) conf;
            layers = g.getVertices().size();
            for (GraphVertex v : g.getVertices().values()) {
                bn += v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv && lv.getLayerConf() != null
                        && lv.getLayerConf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization
                        ? 1 : 0;
            }
            iterations = g.getIterationCount();
            epochs = g.getEpochCount();
        }
        if (layers > limits.layers()) {
            throw new InputFileException(file, CONFIGURATION + " has " + layers + " layers, over the limit of "
                    + limits.layers() + " (see docs/input-limits.md)");
        }
        if (bn > limits.bnLayers()) {
            throw new InputFileException(file, CONFIGURATION + " has " + bn + " BatchNormalization layers, over the limit"
                    + " of " + limits.bnLayers() + " (see docs/input-limits.md)");
        }
        if (iterations < 0 || epochs < 0) {
            throw new InputFileException(file, CONFIGURATION + " has a negative " + (iterations < 0 ? "iteration count "
                    + iterations : "epoch count " + epochs) + ": training state counts up from 0");
        }
    }

    private static Model build(Path file, Object conf, DataType type, INDArray params) {
        try {
            if (conf instanceof MultiLayerConfiguration m) {
                m.setDataType(type);
                MultiLayerNetwork net = new MultiLayerNetwork(m);
                if (params == null) {
                    net.init();
                } else {
                    net.init(params, false);
                }
                return net;
            }
            ComputationGraphConfiguration g = (ComputationGraphConfiguration) conf;
            g.setDataType(type);
            ComputationGraph net = new ComputationGraph(g);
            if (params == null) {
                net.init();
            } else {
                net.init(params, false);
            }
            return net;
        } catch (RuntimeException e) {
            throw new InputFileException(file, "could not be built as a " + (conf instanceof MultiLayerConfiguration
                    ? "MultiLayerNetwork" : "ComputationGraph") + " (" + describe(e) + ")", e);
        }
    }

    /**
     * @param e an exception
     * @return the first line of the first message in its cause chain, with the type when there is none
     */
    public static String describe(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        for (Throwable t : chain) {
            String m = t.getMessage();
            if (m != null && !m.isBlank()) {
                int nl = m.indexOf('\n');
                String line = (nl < 0 ? m : m.substring(0, nl)).strip();
                return t instanceof IOException || t instanceof IllegalArgumentException || t instanceof IllegalStateException
                        ? line : t.getClass().getSimpleName() + ": " + line;
            }
        }
        return e.getClass().getSimpleName() + " without a message, at " + (e.getStackTrace().length > 0
                ? e.getStackTrace()[0] : "an unknown place");
    }

    /**
     * A zip whose deflated entries use Huffman coding only ({@link java.util.zip.Deflater#HUFFMAN_ONLY}):
     * float parameters hold few repeated strings, so the string search of the default strategy
     * costs time and shrinks them little; the entries remain ordinary deflate streams.
     */
    private static final class HuffmanOnlyZip extends ZipArchiveOutputStream {
        HuffmanOnlyZip(java.io.File file) throws IOException {
            super(file);
            def.setStrategy(java.util.zip.Deflater.HUFFMAN_ONLY);
        }
    }
}
