package io.github.bndoctor.scenario;

import io.github.bndoctor.monitor.BatchStatisticsFromUpdates;
import io.github.bndoctor.monitor.LagReading;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The regression leg's monitored runs, trained once per JVM and shared between test classes
 * (Surefire runs the classes of a leg in one JVM): a run is keyed by its configuration and
 * checkpoint interval, so the seed-scenario, further-scenario and alarm-quality tests that ask for
 * the same run get the same result whichever class asks first.
 *
 * <p>Every run carries the free per-iteration lag signal ({@link BatchStatisticsFromUpdates},
 * default window, a reading every iteration) next to the monitor's checkpoints. The listener only
 * reads parameters and gradients, so the trajectory is the unmonitored one (the baseline test
 * checks it).
 */
final class SharedScenarioRuns {
    /** Runs trained at once: one per core of the 2-core reference machine, each single-threaded. */
    static final int PARALLEL = 2;

    private static final Map<String, FutureTask<Monitored>> RUNS = new ConcurrentHashMap<>();

    private SharedScenarioRuns() {
    }

    /**
     * A monitored run with the free signal's median lag error at every iteration.
     *
     * @param result the monitored run
     * @param freeLag median over layers of the free lag error, by iteration (from the first full window)
     */
    record Monitored(MonitoredScenario.Result result, NavigableMap<Long, Double> freeLag) {
        /**
         * @param iteration an iteration
         * @return the free signal's median lag error read at that iteration, NaN before the window filled
         */
        double freeLagAt(long iteration) {
            return freeLag.getOrDefault(iteration, Double.NaN);
        }
    }

    /**
     * @param config a configuration
     * @return the run with checkpoints every {@link ScenarioConfig#checkpointEvery()} iterations
     */
    static Monitored get(ScenarioConfig config) {
        return get(config, config.checkpointEvery());
    }

    /**
     * @param config a configuration
     * @param probeEvery iterations between checkpoints
     * @return the run, trained now in the calling thread unless already trained or under way
     */
    static Monitored get(ScenarioConfig config, int probeEvery) {
        FutureTask<Monitored> task = new FutureTask<>(() -> train(config, probeEvery));
        FutureTask<Monitored> existing = RUNS.putIfAbsent(key(config, probeEvery), task);
        FutureTask<Monitored> use = existing == null ? task : existing;
        use.run(); // no-op when already run or running elsewhere
        try {
            return use.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + config, e);
        } catch (ExecutionException e) {
            throw ParallelRuns.unchecked(e);
        }
    }

    /**
     * Trains every listed run not yet trained, {@link #PARALLEL} at a time, longest first.
     *
     * @param configs configurations, each with checkpoints every {@link ScenarioConfig#checkpointEvery()}
     * @return the runs, in the order of {@code configs}
     */
    static List<Monitored> all(List<ScenarioConfig> configs) {
        List<ScenarioConfig> byLength = new ArrayList<>(configs);
        byLength.sort(Collections.reverseOrder(java.util.Comparator.comparingLong(SharedScenarioRuns::cost)));
        List<Callable<Monitored>> jobs = new ArrayList<>();
        for (ScenarioConfig c : byLength) {
            jobs.add(() -> get(c));
        }
        ParallelRuns.all(jobs, PARALLEL, 1);
        List<Monitored> out = new ArrayList<>();
        for (ScenarioConfig c : configs) {
            out.add(get(c));
        }
        return out;
    }

    /** Relative cost of a run: iterations times a kind's step cost (the dense MLP's ~1/10 of the conv nets'). */
    private static long cost(ScenarioConfig c) {
        long perStep = c.kind() == ScenarioKind.DENSE_REGRESSION ? 1 : 10;
        return perStep * c.iterations();
    }

    private static String key(ScenarioConfig config, int probeEvery) {
        return config + " every " + probeEvery;
    }

    private static Monitored train(ScenarioConfig config, int probeEvery) {
        NavigableMap<Long, Double> free = new TreeMap<>();
        BatchStatisticsFromUpdates signal = new BatchStatisticsFromUpdates(BatchStatisticsFromUpdates.DEFAULT_WINDOW,
                config.warmStartSamples() > 0, (LagReading r) -> free.put(r.iteration(), r.medianLagError()));
        MonitoredScenario.Result r = MonitoredScenario.run(config, probeEvery, c -> { }, List.of(signal));
        return new Monitored(r, Collections.unmodifiableNavigableMap(free));
    }
}
