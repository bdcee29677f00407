package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A ring of snapshots of the weights feeding each BN layer ({@link FeedingWeights}), taken every
 * {@code s} iterations, from which the angle between the current weights and the weights of a
 * given age can be read.
 *
 * <p>An EMA with decay {@code d} weights the batch statistic of age {@code k} by
 * {@code (1-d) d^k}; its mean age is {@code sum k (1-d) d^k = d/(1-d)} iterations. The moving
 * statistics therefore describe, to first order, the weights of about that age, and the angle
 * between the current weights and those is the <em>measured</em> lag angle
 * ({@link #lagAngleDegrees}), where {@link RotationTracker#predictedLag} extrapolates it from the
 * current rotation speed. Capacity {@link #capacityFor} covers the mean age.
 *
 * <p>Between snapshots the angle is interpolated linearly in the age (exact for a steady rotation
 * in a plane); ages beyond the oldest snapshot give {@code NaN}. Snapshots are stored in single
 * precision (DL4J's default weight type): memory is {@code capacity x} the number of feeding
 * weights {@code x 4} bytes.
 */
public final class WeightSnapshotRing {
    /** Default iterations between snapshots. */
    public static final int DEFAULT_EVERY = 10;
    /** Upper bound on the capacity (snapshots per layer). */
    public static final int MAX_CAPACITY = 4096;

    private final FeedingWeights feeding;
    private final int every;
    private final int capacity;
    private final long[] iterations;
    private final Map<String, float[][]> slots = new LinkedHashMap<>();
    /** The current weights of each layer, read into the same array every time. */
    private final Map<String, double[]> scratch = new LinkedHashMap<>();
    /** Squared norm of each snapshot (of its float values), per layer and slot. */
    private final Map<String, double[]> squaredNorms = new LinkedHashMap<>();
    private int size;
    private int newest = -1;

    /**
     * @param net the network whose BN layers are watched
     * @param every iterations between snapshots, at least 1
     * @param capacity snapshots kept per layer, in [1, {@link #MAX_CAPACITY}]
     */
    public WeightSnapshotRing(BnNetwork net, int every, int capacity) {
        if (every < 1) {
            throw new IllegalArgumentException("snapshot interval must be >= 1, got " + every);
        }
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be in [1, " + MAX_CAPACITY + "], got " + capacity);
        }
        this.feeding = FeedingWeights.of(net);
        this.every = every;
        this.capacity = capacity;
        this.iterations = new long[capacity];
        for (String bn : feeding.feedingLayers().keySet()) {
            if (!feeding.feedingGroupOf(bn).isEmpty()) {
                slots.put(bn, new float[capacity][]);
                squaredNorms.put(bn, new double[capacity]);
            }
        }
    }

    /**
     * A ring covering the mean age of the slowest EMA among the network's BN layers (largest decay
     * below 1).
     *
     * @param net the network
     * @param every iterations between snapshots
     * @return the ring
     */
    public static WeightSnapshotRing covering(BnNetwork net, int every) {
        double maxDecay = 0;
        for (BnLayerRef ref : net.bnLayers()) {
            if (ref.decay() < 1) {
                maxDecay = Math.max(maxDecay, ref.decay());
            }
        }
        return new WeightSnapshotRing(net, every, capacityFor(maxDecay, every));
    }

    /**
     * @param decay an EMA decay in [0, 1)
     * @return the EMA's mean age {@code d/(1-d)} in iterations
     */
    public static double meanAge(double decay) {
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("decay must be in [0, 1), got " + decay);
        }
        return decay / (1 - decay);
    }

    /**
     * @param decay an EMA decay in [0, 1)
     * @param every iterations between snapshots, at least 1
     * @return snapshots needed to reach back at least the mean age, {@code ceil(meanAge/every) + 1},
     *     bounded by {@link #MAX_CAPACITY}
     */
    public static int capacityFor(double decay, int every) {
        if (every < 1) {
            throw new IllegalArgumentException("snapshot interval must be >= 1, got " + every);
        }
        // 1e-9 absorbs rounding in d/(1-d), e.g. 0.9/0.1 = 9.000000000000002
        double n = Math.ceil(meanAge(decay) / every - 1e-9) + 1;
        return (int) Math.min(MAX_CAPACITY, n);
    }

    /**
     * Takes a snapshot if at least {@code every} iterations have passed since the last one (or
     * none was taken). An iteration earlier than the newest snapshot (a reset counter) clears the
     * ring first.
     *
     * @param net the network (the one this was built from)
     * @param iteration the iteration the current weights belong to
     * @return whether a snapshot was taken
     */
    public boolean record(BnNetwork net, long iteration) {
        if (size > 0 && iteration < iterations[newest]) {
            size = 0;
            newest = -1;
        }
        if (size > 0 && iteration - iterations[newest] < every) {
            return false;
        }
        newest = (newest + 1) % capacity;
        iterations[newest] = iteration;
        size = Math.min(size + 1, capacity);
        for (Map.Entry<String, float[][]> e : slots.entrySet()) {
            double[] w = current(net, e.getKey());
            float[] f = e.getValue()[newest];
            if (f == null || f.length != w.length) {
                f = new float[w.length];
                e.getValue()[newest] = f;
            }
            double norm = 0;
            for (int i = 0; i < w.length; i++) {
                f[i] = (float) w[i];
                double x = f[i];
                norm += x * x;
            }
            squaredNorms.get(e.getKey())[newest] = norm;
        }
        return true;
    }

    /**
     * @param iteration the current iteration
     * @return the ages of the snapshots at that iteration, youngest first (empty before the first)
     */
    public long[] ages(long iteration) {
        long[] out = new long[size];
        for (int k = 0; k < size; k++) {
            out[k] = iteration - iterations[slot(k)];
        }
        return out;
    }

    /**
     * Angles between the current weights and every snapshot, youngest snapshot first (aligned with
     * {@link #ages(long)}).
     *
     * @param net the network, holding the weights of {@code iteration}
     * @param bnLayer a BN layer
     * @param iteration the current iteration, not before the newest snapshot
     * @return degrees per snapshot; all {@code NaN} if the layer has no feeding weights
     */
    public double[] angles(BnNetwork net, String bnLayer, long iteration) {
        checkIteration(iteration);
        double[] out = new double[size];
        float[][] ring = slots.get(bnLayer);
        if (ring == null) {
            Arrays.fill(out, Double.NaN);
            return out;
        }
        double[] w = current(net, bnLayer);
        double[] norms = squaredNorms.get(bnLayer);
        double na = squaredNorm(w);
        for (int k = 0; k < size; k++) {
            out[k] = angleDegrees(w, na, ring[slot(k)], norms[slot(k)]);
        }
        return out;
    }

    /**
     * As {@link #angles}, each angle computed only when asked for: a caller that stops at the first
     * snapshot past a threshold (as {@link io.github.bndoctor.remedy.AdaptiveDecay} does) pays for the
     * snapshots up to it, not for the whole ring. The current weights are read once, now; the
     * function is valid until the next {@link #record} or read of this ring.
     *
     * @param net the network, holding the weights of {@code iteration}
     * @param bnLayer a BN layer
     * @param iteration the current iteration, not before the newest snapshot
     * @return the angle in degrees to snapshot {@code k} (youngest first); {@code NaN} for every
     *     {@code k} if the layer has no feeding weights
     */
    public java.util.function.IntToDoubleFunction angleOf(BnNetwork net, String bnLayer, long iteration) {
        checkIteration(iteration);
        float[][] ring = slots.get(bnLayer);
        if (ring == null) {
            return k -> Double.NaN;
        }
        double[] w = current(net, bnLayer);
        double[] norms = squaredNorms.get(bnLayer);
        double na = squaredNorm(w);
        return k -> angleDegrees(w, na, ring[slot(k)], norms[slot(k)]);
    }

    /**
     * The angle between the current weights and the weights {@code age} iterations earlier,
     * interpolated linearly between the two snapshots around that age (the current weights count
     * as age 0, angle 0).
     *
     * @param net the network, holding the weights of {@code iteration}
     * @param bnLayer a BN layer
     * @param iteration the current iteration, not before the newest snapshot
     * @param age iterations back, at least 0
     * @return degrees; {@code NaN} if the oldest snapshot is younger than {@code age} or the layer
     *     has no feeding weights
     */
    public double angleDegrees(BnNetwork net, String bnLayer, long iteration, double age) {
        checkIteration(iteration);
        if (!(age >= 0)) {
            throw new IllegalArgumentException("age must be >= 0, got " + age);
        }
        float[][] ring = slots.get(bnLayer);
        if (ring == null || size == 0 || iteration - iterations[slot(size - 1)] < age) {
            return Double.NaN;
        }
        double[] w = current(net, bnLayer);
        double[] norms = squaredNorms.get(bnLayer);
        double na = squaredNorm(w);
        int younger = -1; // -1: the current weights, age 0, angle 0
        for (int k = 0; k < size; k++) {
            long a = iteration - iterations[slot(k)];
            if (a < age) {
                younger = k;
                continue;
            }
            double angle = angleDegrees(w, na, ring[slot(k)], norms[slot(k)]);
            if (a == age) {
                return angle;
            }
            long youngerAge = younger < 0 ? 0 : iteration - iterations[slot(younger)];
            double youngerAngle = younger < 0 ? 0 : angleDegrees(w, na, ring[slot(younger)], norms[slot(younger)]);
            return youngerAngle + (angle - youngerAngle) * (age - youngerAge) / (a - youngerAge);
        }
        return Double.NaN; // unreachable: the oldest snapshot reaches age
    }

    /**
     * The measured lag angle: the angle between the current weights and the weights of the EMA's
     * mean age {@code d/(1-d)}.
     *
     * @param net the network, holding the weights of {@code iteration}
     * @param bnLayer a BN layer
     * @param iteration the current iteration
     * @param decay the decay in force, in [0, 1)
     * @return degrees, or {@code NaN} while the history is shorter than the mean age
     */
    public double lagAngleDegrees(BnNetwork net, String bnLayer, long iteration, double decay) {
        return angleDegrees(net, bnLayer, iteration, meanAge(decay));
    }

    /** @return iterations between snapshots */
    public int every() {
        return every;
    }

    /** @return snapshots kept per layer */
    public int capacity() {
        return capacity;
    }

    /** @return snapshots held now */
    public int size() {
        return size;
    }

    /** @return the feeding weights watched */
    public FeedingWeights feeding() {
        return feeding;
    }

    private int slot(int k) {
        return Math.floorMod(newest - k, capacity);
    }

    private void checkIteration(long iteration) {
        if (size > 0 && iteration < iterations[newest]) {
            throw new IllegalArgumentException("iteration " + iteration + " is before the newest snapshot ("
                    + iterations[newest] + ")");
        }
    }

    /** The layer's current feeding weights, in this ring's reused array for the layer. */
    private double[] current(BnNetwork net, String bnLayer) {
        double[] w = feeding.read(net, bnLayer, scratch.get(bnLayer));
        scratch.put(bnLayer, w);
        return w;
    }

    private static double squaredNorm(double[] w) {
        double n = 0;
        for (double x : w) {
            n += x * x;
        }
        return n;
    }

    /**
     * As {@link RotationTracker#angleDegrees(double[], double[])} with the snapshot widened to double,
     * the same sums in the same order, the two squared norms computed once rather than per pair.
     */
    private static double angleDegrees(double[] current, double currentSquaredNorm, float[] snapshot,
                                       double snapshotSquaredNorm) {
        double dot = 0;
        for (int i = 0; i < current.length; i++) {
            dot += current[i] * snapshot[i];
        }
        return RotationTracker.angleDegrees(dot, currentSquaredNorm, snapshotSquaredNorm);
    }
}
