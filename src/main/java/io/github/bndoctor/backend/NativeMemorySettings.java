package io.github.bndoctor.backend;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The glibc {@code malloc} settings under which ND4J's large per-operation buffers are reused by
 * the process instead of being handed back to the kernel and faulted in again, page by page, by the
 * next operation. They change where memory comes from, never what is computed.
 *
 * <p>Why it matters. A JVM runs {@code main} on a thread other than the process's first one, so
 * glibc serves that thread's native allocations from a secondary arena, whose heaps are at most 64 MB
 * and are unmapped as soon as they are empty; blocks above the (dynamic, at most 32 MB) mmap
 * threshold are mapped and unmapped one by one. libnd4j's oneDNN convolutions allocate their
 * reordered inputs and outputs per call ({@code dnnl::memory}), sized by the batch: a 64-example
 * batch of a MobileNetV2 at 96x96 needs tens of MB per call. Each call then maps fresh memory and
 * the kernel zeroes every page on first touch. Inference-mode passes (precise statistics, {@code recalibrate},
 * {@code diagnose --model}) run no workspace-reusing backward pass and pay this the most.
 *
 * <p>The settings ({@link #ENVIRONMENT}): one arena ({@code MALLOC_ARENA_MAX=1}), no per-block
 * mappings ({@code MALLOC_MMAP_MAX_=0}: large blocks come from the arena's heap and are reused),
 * and no trimming of the heap's free top below 4 GiB ({@code MALLOC_TRIM_THRESHOLD_}). Peak resident
 * memory stays the working set's; memory freed below the peak stays with the process until it ends.
 * One arena serialises the native allocations of threads that train at once: several small
 * networks trained side by side in one JVM ran slower with these settings, so they suit a process
 * that runs one large network's passes, not every JVM. glibc reads them once, when the process
 * starts, so they must be in its environment: the command line's {@code recalibrate} and
 * {@code diagnose --model} restart themselves once with them when they are missing; a library user
 * sets them for the JVM that recalibrates or probes a large model (shell, IDE run configuration, the
 * build's test-JVM environment). Other C libraries (musl) ignore them.
 *
 * <p>References: glibc manual, "Memory Allocation Tunables" and {@code mallopt(3)} ({@code M_ARENA_MAX},
 * {@code M_MMAP_MAX}, {@code M_TRIM_THRESHOLD}); the measured effect is in {@code docs/record.md}.
 */
public final class NativeMemorySettings {
    /** The environment variables and the values this project uses, in the order to print them. */
    public static final Map<String, String> ENVIRONMENT;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("MALLOC_ARENA_MAX", "1");
        m.put("MALLOC_MMAP_MAX_", "0");
        m.put("MALLOC_TRIM_THRESHOLD_", Long.toString(4L << 30));
        ENVIRONMENT = java.util.Collections.unmodifiableMap(m);
    }

    private NativeMemorySettings() {
    }

    /**
     * @param environment a process environment ({@link System#getenv()})
     * @return whether every variable of {@link #ENVIRONMENT} is set in it (to any value: a user's own
     *     value counts as a choice and is kept)
     */
    public static boolean presentIn(Map<String, String> environment) {
        return environment.keySet().containsAll(ENVIRONMENT.keySet());
    }

    /**
     * @return the settings as shell assignments, e.g. for {@code env} or an {@code export} line:
     *     {@code MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 ...}
     */
    public static String asShellAssignments() {
        StringBuilder s = new StringBuilder();
        ENVIRONMENT.forEach((k, v) -> s.append(s.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return s.toString();
    }
}
