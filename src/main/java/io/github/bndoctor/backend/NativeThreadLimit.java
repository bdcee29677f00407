package io.github.bndoctor.backend;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.nd4j.nativeblas.Nd4jBlas;

/**
 * Limits ND4J's native threads process-wide: its own thread pools ({@code maxThreads},
 * {@code maxMasterThreads}), OpenMP (for the calling thread and the threads OpenMP starts from it)
 * and the BLAS library. A thread that runs ops without having called {@link #apply(int)} keeps
 * OpenMP's own count, {@code OMP_NUM_THREADS} or every core.
 */
public final class NativeThreadLimit {
    private NativeThreadLimit() {
    }

    /**
     * @param n threads, at least 1
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static void apply(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("native threads must be >= 1, got " + n);
        }
        Nd4j.getEnvironment().setMaxThreads(n);
        Nd4j.getEnvironment().setMaxMasterThreads(n);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
        if (Nd4j.factory().blas() instanceof Nd4jBlas blas) {
            blas.setMaxThreads(n);
        }
    }

    /**
     * Limits OpenMP to {@code n} threads for ops the calling thread runs (and the threads OpenMP
     * starts from it), leaving the process-wide limits of {@link #apply(int)} as they are: for a
     * worker thread that runs its own passes beside others.
     *
     * @param n threads, at least 1
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static void applyToCurrentThread(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("native threads must be >= 1, got " + n);
        }
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
    }
}
