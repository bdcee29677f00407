package io.github.bndoctor.probe;

import io.github.bndoctor.backend.NativeThreadLimit;
import io.github.bndoctor.dl4j.BatchStatistics;
import io.github.bndoctor.dl4j.BatchStatisticsCapture;
import io.github.bndoctor.dl4j.BnNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The batches' {@link NetworkMoments}, their forward passes run on several threads at once: DL4J
 * does not share one op among threads at the sizes precise BN runs at, but independent passes run
 * side by side.
 *
 * <p>Each worker thread owns one network (the caller's for the first, a {@linkplain BnNetwork#copy
 * copy} made before any pass starts for each other one: DL4J networks are not thread-safe), runs
 * its OpenMP natives on one thread ({@link NativeThreadLimit#applyToCurrentThread}) and takes whole
 * batches, so each batch's statistics are computed exactly as the serial pass computes them. The
 * calling thread reads the batches, in order and with the serial pass's stopping rule, and adds
 * each batch's statistics to the moments in batch order ({@link NetworkMoments#add(Map, long)}):
 * the result has the bits of the serial pass's whatever the threads' timing, given the same
 * native arithmetic per op (one OpenMP thread on the calling thread too, as the command line runs).
 *
 * <p>Memory: at most one batch per worker is in a forward pass, plus the next batch read; each
 * extra worker holds a copy of the parameters and its own workspaces, which are destroyed when the
 * worker ends. The caller's network is used by one worker only and its parameters are left as the
 * serial pass leaves them (unchanged).
 */
final class ParallelMoments {
    private ParallelMoments() {
    }

    /**
     * @param net the network
     * @param batches training batches
     * @param samples stop once this many examples have been read (the last batch is used whole)
     * @param workers threads to run passes on, at least 1 (1: the serial pass on the calling thread)
     * @return the moments of the batches read
     */
    static NetworkMoments of(BnNetwork net, Iterator<INDArray[]> batches, int samples, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        // the first batches, one per worker at most: no copy for batches that do not exist
        List<INDArray[]> first = new ArrayList<>();
        long read = 0;
        while (first.size() < workers && read < samples && batches.hasNext()) {
            INDArray[] b = batches.next();
            first.add(b);
            read += b[0].size(0);
        }
        if (first.size() <= 1) {
            // one worker, or data for one batch only: the serial pass on the calling thread
            NetworkMoments moments = NetworkMoments.empty();
            for (INDArray[] b : first) {
                moments = moments.add(net, b);
            }
            while (moments.examples() < samples && batches.hasNext()) {
                moments = moments.add(net, batches.next());
            }
            return moments;
        }
        int n = first.size();
        // copies before any pass: a pass changes the caller's network's moving statistics while it runs
        BlockingQueue<BnNetwork> nets = new ArrayBlockingQueue<>(n);
        nets.add(net);
        for (int i = 1; i < n; i++) {
            nets.add(net.copy());
        }
        ThreadLocal<BnNetwork> own = ThreadLocal.withInitial(nets::remove);
        List<Thread> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(() -> {
                NativeThreadLimit.applyToCurrentThread(1);
                try {
                    r.run();
                } finally {
                    Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
                }
            }, "bn-doctor-precise-" + (threads.size() + 1));
            t.setDaemon(true);
            threads.add(t);
            return t;
        });
        Deque<Future<Map<String, BatchStatistics>>> inFlight = new ArrayDeque<>();
        Deque<Long> sizes = new ArrayDeque<>();
        NetworkMoments moments = NetworkMoments.empty();
        try {
            for (INDArray[] b : first) {
                inFlight.add(pool.submit(() -> BatchStatisticsCapture.capture(own.get(), b, true)));
                sizes.add(b[0].size(0));
            }
            while (read < samples && batches.hasNext()) {
                INDArray[] b = batches.next();
                read += b[0].size(0);
                moments = moments.add(result(inFlight.remove()), sizes.remove());
                inFlight.add(pool.submit(() -> BatchStatisticsCapture.capture(own.get(), b, true)));
                sizes.add(b[0].size(0));
            }
            while (!inFlight.isEmpty()) {
                moments = moments.add(result(inFlight.remove()), sizes.remove());
            }
            return moments;
        } finally {
            inFlight.forEach(f -> f.cancel(false));
            pool.shutdown();
            awaitQuietly(pool, threads);
        }
    }

    private static Map<String, BatchStatistics> result(Future<Map<String, BatchStatistics>> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while computing precise statistics", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Waits for the worker threads to end: a pass that runs on the caller's network puts its moving
     * statistics back, and each thread destroys its workspaces, before this returns.
     */
    private static void awaitQuietly(ExecutorService pool, List<Thread> threads) {
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        for (Thread t : List.copyOf(threads)) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
