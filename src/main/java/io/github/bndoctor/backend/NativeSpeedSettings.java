package io.github.bndoctor.backend;

/**
 * The two process-wide switches that make DL4J 1.0.0-M2.1 training of small networks faster on
 * the CPU ({@code ScenarioSpeedBenchmark} measures the step time with neither, one and both; its
 * figures are in {@code docs/record.md}).
 *
 * <ul>
 *   <li>{@value #MAX_PHYSICAL_BYTES_PROPERTY} = 0: JavaCPP otherwise reads the process's
 *       resident size ({@code Pointer.physicalBytesInaccurate}, a read of {@code /proc/self/statm})
 *       on every native allocation. ND4J
 *       frees its buffers through its own deallocator and workspaces, so the check only decides
 *       when to call {@code System.gc()} early. JavaCPP reads it once, when it loads, so it must be
 *       set before the first ND4J call: on the command line, in the build's test JVMs, or with
 *       {@code -Dorg.bytedeco.javacpp.maxPhysicalBytes=0} on your own JVM.</li>
 *   <li>{@value #HELPERS_DISABLE_PROPERTY} = false: lets DL4J create its oneDNN convolution and
 *       batch-normalization helpers when the loaded natives were built with oneDNN (the build's
 *       default natives, classifier {@code linux-x86_64-onednn}). M2.1 turns them off by default
 *       and its detection looks for a binding class M2.1 does not ship; the bridge class
 *       {@code org.nd4j.nativeblas.Nd4jCpu} answers that lookup. With the plain natives the
 *       helpers stay off. Read when a layer is created, so it must be set before a network is
 *       built or loaded.</li>
 * </ul>
 *
 * <p>Neither changes what is computed: the oneDNN batch normalization uses the same biased batch
 * variance and DL4J keeps its own moving-statistics update; results differ from the plain path by
 * float rounding only (the conformance tests hold on both).
 */
public final class NativeSpeedSettings {
    /** JavaCPP's limit on the process's physical memory; 0 turns the per-allocation check off. */
    public static final String MAX_PHYSICAL_BYTES_PROPERTY = "org.bytedeco.javacpp.maxPhysicalBytes";
    /** DL4J's switch for its cuDNN/oneDNN layer helpers ("true" in M2.1 unless set). */
    public static final String HELPERS_DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    private NativeSpeedSettings() {
    }

    /**
     * Sets both switches unless the user set them (a value given with {@code -D} wins). Call it
     * first in {@code main}, before any ND4J class loads.
     */
    public static void applyDefaults() {
        if (System.getProperty(MAX_PHYSICAL_BYTES_PROPERTY) == null
                && System.getProperty(MAX_PHYSICAL_BYTES_PROPERTY.toLowerCase(java.util.Locale.ROOT)) == null) {
            System.setProperty(MAX_PHYSICAL_BYTES_PROPERTY, "0");
        }
        allowLayerHelpers();
    }

    /**
     * Lets DL4J's layer helpers be created for networks built or loaded from now on, unless the
     * user set {@value #HELPERS_DISABLE_PROPERTY} explicitly.
     */
    public static void allowLayerHelpers() {
        if (System.getProperty(HELPERS_DISABLE_PROPERTY) == null) {
            System.setProperty(HELPERS_DISABLE_PROPERTY, "false");
        }
    }

    /** @return whether DL4J will create its oneDNN helpers for networks built now */
    public static boolean oneDnnHelpersActive() {
        if (Boolean.parseBoolean(System.getProperty(HELPERS_DISABLE_PROPERTY, "true"))) {
            return false;
        }
        return org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled();
    }

    /**
     * @return JavaCPP's effective physical-memory limit in bytes (0: the per-allocation check is
     *     off); loads JavaCPP if it is not loaded yet
     */
    public static long javaCppMaxPhysicalBytes() {
        return org.bytedeco.javacpp.Pointer.maxPhysicalBytes();
    }
}
