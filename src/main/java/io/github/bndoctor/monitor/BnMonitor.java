package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.Diagnoser;
import io.github.bndoctor.probe.PreciseStatistics;
import io.github.bndoctor.probe.RotationTracker;
import io.github.bndoctor.probe.WeightSnapshotRing;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A DL4J {@code TrainingListener} that runs bn-doctor's probes every {@code K} iterations, keeps
 * the time series of {@link Checkpoint}s and applies an {@link AlarmPolicy}. With fail-fast on
 * (the default) a {@link AlarmLevel#FAIL} alarm throws {@link BnGateFailure} out of {@code fit}.
 *
 * <p>The probes run in {@code iterationDone} (calling {@code output} inside {@code onForwardPass}
 * throws a workspace exception in DL4J 1.0.0-M2.1). They change no parameter, no updater state
 * and draw no random numbers, so a monitored run follows exactly the trajectory of an
 * unmonitored one. The weights feeding each BN layer are also snapshotted one iteration before
 * each checkpoint, so the rotation reported is the per-step angular change, and every
 * {@value WeightSnapshotRing#DEFAULT_EVERY} iterations into a {@link WeightSnapshotRing} reaching
 * back the EMA's mean age {@code d/(1-d)}, so each checkpoint also carries the measured lag angle
 * next to the single-step prediction {@code rotation x d/(1-d)}.
 *
 * <p>Precise statistics need training examples of their own: pass a separate iterator (or a
 * supplier of fresh ones), never the one {@code fit} is consuming.
 */
public final class BnMonitor extends BaseTrainingListener {
    /**
     * Default sampling interval. On the seed scenario one checkpoint (precise statistics, a copy,
     * the probe passes) costs about as much as 13-16 training iterations: the {@code bench} leg
     * measured 6.3% of training time at an interval of 250 and 1.3% at 1000. Training
     * that needs a closer watch can sample more often ({@link Builder#every(int)}).
     */
    public static final int DEFAULT_EVERY = 1000;

    private final INDArray[] probeFeatures;
    private final INDArray[] probeLabels;
    private final Supplier<Iterator<INDArray[]>> preciseData;
    private final int every;
    private final AlarmPolicy policy;
    private final Diagnoser diagnoser;
    private final boolean failFast;
    private final boolean priorFree;
    private final Consumer<Checkpoint> onCheckpoint;
    private final List<Checkpoint> checkpoints = new ArrayList<>();
    private final List<Alarm> alarms = new ArrayList<>();
    private RotationTracker rotation;
    private WeightSnapshotRing ring;
    private long probeNanos;

    private BnMonitor(Builder b) {
        this.probeFeatures = b.probeFeatures;
        this.probeLabels = b.probeLabels;
        this.preciseData = Objects.requireNonNull(b.preciseData, "preciseData is required");
        this.every = b.every;
        this.policy = b.policy;
        this.diagnoser = b.diagnoser;
        this.failFast = b.failFast;
        this.priorFree = b.priorFree;
        this.onCheckpoint = b.onCheckpoint;
    }

    /**
     * @param probeFeatures probe inputs (held-out data is best)
     * @param probeLabels probe labels
     * @return a builder
     */
    public static Builder builder(INDArray probeFeatures, INDArray probeLabels) {
        return new Builder(new INDArray[] {probeFeatures}, new INDArray[] {probeLabels});
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        long done = iteration + 1L;
        long phase = done % every;
        boolean snapshot = done % WeightSnapshotRing.DEFAULT_EVERY == 0;
        if (phase != 0 && phase != every - 1 && !snapshot) {
            return;
        }
        long t0 = System.nanoTime();
        BnNetwork net = BnNetwork.requireBatchNorm(model);
        if (rotation == null) {
            rotation = new RotationTracker(net);
            ring = WeightSnapshotRing.covering(net, WeightSnapshotRing.DEFAULT_EVERY);
        }
        if (snapshot) {
            ring.record(net, done);
        }
        if (phase != 0 && phase != every - 1) {
            probeNanos += System.nanoTime() - t0;
            return;
        }
        Map<String, Double> rot = rotation.update(net, done);
        if (phase != 0) {
            probeNanos += System.nanoTime() - t0;
            return;
        }
        Map<String, Double> measured = new LinkedHashMap<>();
        for (var ref : net.bnLayers()) {
            if (ref.decay() < 1) {
                measured.put(ref.name(), ring.lagAngleDegrees(net, ref.name(), done, ref.decay()));
            }
        }
        Checkpoint c = diagnoser.diagnose(net, probeFeatures, probeLabels, preciseData.get(), done,
                priorFree ? Long.MAX_VALUE : done, rot, measured);
        checkpoints.add(c);
        List<Alarm> raised = policy.evaluate(c);
        alarms.addAll(raised);
        probeNanos += System.nanoTime() - t0;
        onCheckpoint.accept(c);
        if (failFast) {
            for (Alarm a : raised) {
                if (a.level() == AlarmLevel.FAIL) {
                    throw new BnGateFailure(a);
                }
            }
        }
    }

    /** @return checkpoints so far, in order */
    public List<Checkpoint> checkpoints() {
        return Collections.unmodifiableList(checkpoints);
    }

    /** @return alarms so far, in order */
    public List<Alarm> alarms() {
        return Collections.unmodifiableList(alarms);
    }

    /** @return time spent in probes, nanoseconds */
    public long probeNanos() {
        return probeNanos;
    }

    /** @return the sampling interval */
    public int every() {
        return every;
    }

    /** Builder of {@link BnMonitor}. */
    public static final class Builder {
        private final INDArray[] probeFeatures;
        private final INDArray[] probeLabels;
        private Supplier<Iterator<INDArray[]>> preciseData;
        private int every = DEFAULT_EVERY;
        private AlarmPolicy policy = AlarmPolicy.DEFAULT;
        private Diagnoser diagnoser = Diagnoser.defaults();
        private boolean failFast = true;
        private boolean priorFree;
        private Consumer<Checkpoint> onCheckpoint = c -> { };

        private Builder(INDArray[] probeFeatures, INDArray[] probeLabels) {
            this.probeFeatures = probeFeatures;
            this.probeLabels = probeLabels;
        }

        /**
         * @param data training examples for precise statistics: a separate iterator from the one
         *     being fitted; it is reset before each checkpoint
         * @return this
         */
        public Builder preciseData(DataSetIterator data) {
            this.preciseData = () -> {
                data.reset();
                return PreciseStatistics.features(data);
            };
            return this;
        }

        /**
         * @param data supplier of fresh iterators over training inputs
         * @return this
         */
        public Builder preciseData(Supplier<Iterator<INDArray[]>> data) {
            this.preciseData = data;
            return this;
        }

        /**
         * @param k iterations between checkpoints, at least 2
         * @return this
         */
        public Builder every(int k) {
            if (k < 2) {
                throw new IllegalArgumentException("checkpoint interval must be >= 2, got " + k);
            }
            this.every = k;
            return this;
        }

        /**
         * @param p the alarm policy
         * @return this
         */
        public Builder policy(AlarmPolicy p) {
            this.policy = Objects.requireNonNull(p);
            return this;
        }

        /**
         * @param d the diagnoser (estimator, precise samples, loss, verdict thresholds)
         * @return this
         */
        public Builder diagnoser(Diagnoser d) {
            this.diagnoser = Objects.requireNonNull(d);
            return this;
        }

        /**
         * @param f whether a FAIL alarm throws {@link BnGateFailure}
         * @return this
         */
        public Builder failFast(boolean f) {
            this.failFast = f;
            return this;
        }

        /**
         * Declares that the moving statistics carry no mean-0/variance-1 prior (after
         * {@link io.github.bndoctor.remedy.WarmStart}), so no error is attributed to warm-up.
         *
         * @return this
         */
        public Builder warmStarted() {
            this.priorFree = true;
            return this;
        }

        /**
         * @param c called after each checkpoint (e.g. progress output)
         * @return this
         */
        public Builder onCheckpoint(Consumer<Checkpoint> c) {
            this.onCheckpoint = Objects.requireNonNull(c);
            return this;
        }

        /** @return the monitor */
        public BnMonitor build() {
            return new BnMonitor(this);
        }
    }
}
