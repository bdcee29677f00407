package io.github.bndoctor.scenario;

/**
 * Times two runs of the same training against each other in interleaved rounds, so that a noisy
 * machine's load drifts into both arms alike (benchmarks print the ratio, never absolute times).
 */
public final class InterleavedTraining {
    private InterleavedTraining() {
    }

    /**
     * Iterations both arms train before timing: a listener's small methods wait behind DL4J's in the
     * JIT compile queue and run interpreted for the first few hundred iterations of a fresh JVM.
     */
    public static final int WARMUP = 600;

    /**
     * Trains both runs {@link #WARMUP} iterations, untimed.
     *
     * @param first one run
     * @param second the other run
     */
    public static void warmUp(ScenarioRun first, ScenarioRun second) {
        first.train(WARMUP);
        second.train(WARMUP);
    }

    /**
     * @param first one run
     * @param second the other run
     * @param rounds rounds, each training {@code perRound} iterations of {@code first}, then of {@code second}
     * @param perRound iterations per arm and round
     * @return wall time spent training {@code first} and {@code second}, nanoseconds
     */
    public static long[] nanos(ScenarioRun first, ScenarioRun second, int rounds, int perRound) {
        long a = 0;
        long b = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            first.train(perRound);
            long t1 = System.nanoTime();
            second.train(perRound);
            long t2 = System.nanoTime();
            a += t1 - t0;
            b += t2 - t1;
        }
        return new long[] {a, b};
    }

    /**
     * Trains each run {@code perRound} iterations per round, in an order rotated from round to round,
     * and records the CPU time of this thread for each (ND4J runs its ops on the calling thread at one
     * native thread, the build's setting, so load from other processes adds no time to either arm).
     * Rounds during which the JVM collected garbage, and the round after each (the references of the
     * dead arrays are processed then), are dropped: ND4J keeps bookkeeping objects for every array
     * until a collection finds it dead, so the collections are long and frequent, and their threads
     * slow the training thread on the other processor in bursts that fall on one arm at random.
     *
     * @param rounds rounds
     * @param perRound iterations per run and round
     * @param runs the runs
     * @return CPU nanoseconds per run (first index) and kept round (second)
     */
    public static long[][] cpuNanos(int rounds, int perRound, ScenarioRun... runs) {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        long[][] t = new long[runs.length][rounds];
        int kept = 0;
        long collections = collections();
        boolean afterCollection = false;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < runs.length; k++) {
                int arm = (k + r) % runs.length;
                long t0 = bean.getCurrentThreadCpuTime();
                runs[arm].train(perRound);
                t[arm][kept] = bean.getCurrentThreadCpuTime() - t0;
            }
            long now = collections();
            boolean collected = now != collections;
            collections = now;
            if (!collected && !afterCollection) {
                kept++;
            }
            afterCollection = collected;
        }
        long[][] out = new long[runs.length][];
        for (int arm = 0; arm < runs.length; arm++) {
            out[arm] = java.util.Arrays.copyOf(t[arm], kept);
        }
        return out;
    }

    private static long collections() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionCount).sum();
    }
}
