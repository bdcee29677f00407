package io.github.bndoctor.cli;

import io.github.bndoctor.backend.NativeThreadLimit;

/**
 * Limits ND4J's native threads (its own thread pool, OpenMP and BLAS). The scenario's small
 * convolutions run several times faster on one thread than on two contended ones, so the command
 * line defaults to {@code OMP_NUM_THREADS} if set, else 1.
 */
final class NativeThreads {
    private static volatile int applied = 1;

    private NativeThreads() {
    }

    /** @return the thread limit last applied by {@link #limit(int)} (1 before any) */
    static int applied() {
        return applied;
    }

    /** @return the most threads {@code --threads} accepts: four per available processor */
    static int max() {
        return 4 * Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** @return {@code OMP_NUM_THREADS} if it is a positive integer (at most {@link #max()}), else 1 */
    static int defaultCount() {
        String env = System.getenv("OMP_NUM_THREADS");
        try {
            int n = env == null ? 1 : Integer.parseInt(env.trim());
            return n > 0 ? Math.min(n, max()) : 1;
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** @param n threads, at least 1 */
    static void limit(int n) {
        NativeThreadLimit.apply(n);
        applied = n;
    }
}
