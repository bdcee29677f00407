package io.github.bndoctor.backend;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The ND4J backend that is really running: its kind (CPU or CUDA), its class and its device count.
 *
 * <p>Use {@link #detect()} to inspect the live backend and {@link #requireExpected(String)} to
 * fail loudly when it is not the one the build asked for. The Maven build passes the expected
 * backend as the system property {@value #EXPECTED_BACKEND_PROPERTY} ({@code cpu} by default,
 * {@code cuda} under {@code -Pcuda}).
 */
public final class BackendInfo {

    /** System property naming the backend a test run expects: {@code cpu} or {@code cuda}. */
    public static final String EXPECTED_BACKEND_PROPERTY = "bndoctor.expectedBackend";

    /** The backend a run expects when {@value #EXPECTED_BACKEND_PROPERTY} is not set. */
    public static final String DEFAULT_EXPECTED_BACKEND = "cpu";

    private static final String CPU_BACKEND_CLASS = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";
    private static final String CUDA_BACKEND_CLASS = "org.nd4j.linalg.jcublas.JCublasBackend";

    /** The kinds of ND4J backend this project tells apart. */
    public enum Kind {
        /** {@code nd4j-native}: ND4J on the CPU. */
        CPU,
        /** {@code nd4j-cuda-*}: ND4J on NVIDIA GPUs. */
        CUDA,
        /** Any other backend class (never what a build expects). */
        OTHER;

        /**
         * Parses an expectation as written in {@value #EXPECTED_BACKEND_PROPERTY}.
         *
         * @param name {@code cpu} or {@code cuda} (also {@code gpu}), in any case
         * @return the kind named
         * @throws IllegalArgumentException for any other name
         */
        public static Kind parse(String name) {
            String key = Objects.requireNonNull(name, "backend name").trim().toLowerCase(Locale.ROOT);
            switch (key) {
                case "cpu":
                    return CPU;
                case "cuda":
                case "gpu":
                    return CUDA;
                default:
                    throw new IllegalArgumentException("unknown ND4J backend '" + name
                            + "': expected 'cpu' or 'cuda' (property " + EXPECTED_BACKEND_PROPERTY + ")");
            }
        }

        /**
         * @param backendClassName the class name of an {@code org.nd4j.linalg.factory.Nd4jBackend}
         * @return the kind that class implements, {@link #OTHER} if unknown
         */
        public static Kind ofBackendClass(String backendClassName) {
            if (CPU_BACKEND_CLASS.equals(backendClassName)) {
                return CPU;
            }
            if (CUDA_BACKEND_CLASS.equals(backendClassName)) {
                return CUDA;
            }
            return OTHER;
        }
    }

    private final Kind kind;
    private final String backendClassName;
    private final int deviceCount;
    private final Map<String, String> environment;

    private BackendInfo(String backendClassName, int deviceCount, Map<String, String> environment) {
        this.backendClassName = Objects.requireNonNull(backendClassName, "backendClassName");
        this.kind = Kind.ofBackendClass(backendClassName);
        this.deviceCount = deviceCount;
        this.environment = Map.copyOf(environment);
    }

    /**
     * Describes a backend without asking ND4J, for tests and reports.
     *
     * @param backendClassName the ND4J backend class name
     * @param deviceCount      the number of devices it sees
     * @return the description
     */
    static BackendInfo of(String backendClassName, int deviceCount) {
        return new BackendInfo(backendClassName, deviceCount, Map.of());
    }

    /**
     * Inspects the backend ND4J loaded, loading it if that has not happened yet.
     *
     * @return the live backend
     * @throws BackendUnavailableException if ND4J cannot load any backend
     */
    public static BackendInfo detect() {
        try {
            String className = Nd4j.getBackend().getClass().getName();
            int devices = Nd4j.getAffinityManager().getNumberOfDevices();
            Properties info = Nd4j.getExecutioner().getEnvironmentInformation();
            Map<String, String> env = new TreeMap<>();
            info.forEach((key, value) -> env.put(String.valueOf(key), String.valueOf(value)));
            return new BackendInfo(className, devices, env);
        } catch (RuntimeException | LinkageError e) {
            throw new BackendUnavailableException("ND4J could not load its backend: " + rootCause(e)
                    + ". ND4J logs why each backend was skipped in a WARN line 'Skipped [...] backend"
                    + " (unavailable)' above. Under -Pcuda this means no usable NVIDIA driver/GPU"
                    + " (libcuda.so.1) or no CUDA 11.6 runtime (libcublas.so.11, libcusolver.so.11) on"
                    + " the library path; on CPU, missing nd4j-native natives.", e);
        }
    }

    private static String rootCause(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == error ? error.toString() : error + " caused by " + root;
    }

    /**
     * @return the backend the run expects: the system property {@value #EXPECTED_BACKEND_PROPERTY},
     *     or {@value #DEFAULT_EXPECTED_BACKEND} when it is unset or blank
     */
    public static String expectedFromSystemProperty() {
        String value = System.getProperty(EXPECTED_BACKEND_PROPERTY);
        return value == null || value.isBlank() ? DEFAULT_EXPECTED_BACKEND : value.trim();
    }

    /**
     * Checks that this backend is the expected one.
     *
     * @param expected {@code cpu} or {@code cuda}
     * @return this, for chaining
     * @throws BackendMismatchException if this backend is of another kind
     * @throws IllegalArgumentException if {@code expected} names no known backend
     */
    public BackendInfo requireExpected(String expected) {
        Kind wanted = Kind.parse(expected);
        if (wanted != kind) {
            throw new BackendMismatchException(wanted, kind, "ND4J backend mismatch: expected " + wanted
                    + " (" + EXPECTED_BACKEND_PROPERTY + "=" + expected + ") but ND4J loaded " + this
                    + ". A " + wanted + " gate must not pass on " + kind + ": check that only the "
                    + (wanted == Kind.CUDA ? "nd4j-cuda-11.6" : "nd4j-native")
                    + " backend is on the classpath (mvn dependency:tree)"
                    + (wanted == Kind.CUDA ? ", that nvidia-smi sees a GPU and that the CUDA 11.6 runtime is installed."
                            : " and that the build did not run with -Pcuda."));
        }
        return this;
    }

    /**
     * The feature list libnd4j was compiled with ({@code HAVE_OPENBLAS}, {@code HAVE_ONEDNN}, ...),
     * loading the backend if needed.
     *
     * @return the native build information, one feature per line
     */
    public static String nativeBuildInfo() {
        detect();
        return NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo();
    }

    /**
     * @param buildInfo libnd4j's build information ({@link #nativeBuildInfo()})
     * @return whether it lists oneDNN (DNNL), whose depthwise-convolution, convolution and
     *     batch-norm kernels libnd4j then uses while {@code Nd4j.getEnvironment().helpersAllowed()}
     */
    public static boolean hasOneDnn(String buildInfo) {
        return buildInfo.lines().map(String::trim).anyMatch("HAVE_ONEDNN"::equals);
    }

    /** @return the kind of backend */
    public Kind kind() {
        return kind;
    }

    /** @return the ND4J backend class name */
    public String backendClassName() {
        return backendClassName;
    }

    /** @return the number of devices the backend sees (1 on CPU, the GPU count on CUDA) */
    public int deviceCount() {
        return deviceCount;
    }

    /** @return ND4J's environment information (empty when not detected live) */
    public Map<String, String> environment() {
        return environment;
    }

    @Override
    public String toString() {
        return kind + " (" + backendClassName + ", " + deviceCount + " device(s))";
    }
}
