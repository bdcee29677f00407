package io.github.bndoctor.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Trains independent runs a few at a time, one per core: each run has its own network, data and
 * single-threaded native ops, so runs on separate cores do not interact and each gives the numbers
 * it gives alone.
 */
public final class ParallelRuns {
    private ParallelRuns() {
    }

    /**
     * @param jobs the runs, each returning its result
     * @param parallel runs at once, at least 1
     * @param nativeThreads OpenMP threads of each run; OpenMP's count is per calling thread, so
     *     without {@code OMP_NUM_THREADS} in the environment a new thread would otherwise run its ops
     *     on every core and the runs would contend
     * @param <T> result type
     * @return the results, in the order of {@code jobs}
     * @throws RuntimeException the first failing run's exception (an {@link Error} as is)
     */
    public static <T> List<T> all(List<? extends Callable<T>> jobs, int parallel, int nativeThreads) {
        if (parallel < 1 || nativeThreads < 1) {
            throw new IllegalArgumentException("parallel and nativeThreads must be >= 1, got " + parallel + ", "
                    + nativeThreads);
        }
        // the native ops read properties that only loading the backend sets: load both here, not in a
        // run's thread (touched first there, they threw before the task ran and its future never finished)
        Nd4j.getBackend();
        NativeOpsHolder.getInstance();
        ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, "bn-doctor-run");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> job : jobs) {
                // inside the job, so that a failure reaches its future rather than killing the worker
                futures.add(pool.submit(() -> {
                    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(nativeThreads);
                    return job.call();
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while training runs", e);
        } catch (ExecutionException e) {
            throw unchecked(e);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * @param e a run's failure
     * @return its cause as it was if unchecked, else wrapped in an {@link IllegalStateException}
     *     (an {@link Error} cause is thrown as it is)
     */
    static RuntimeException unchecked(ExecutionException e) {
        if (e.getCause() instanceof Error er) {
            throw er;
        }
        return e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
    }
}
