package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.Diagnoser;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.probe.LayerDecomposition;
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
 * the time series of {@link Checkpoint}s and applies an {@link AlarmPolicy} to each checkpoint
 * within the run so far ({@link AlarmPolicy#evaluate(Checkpoint, List)}: a gap persistent over
 * the run fails it once the warm-up window has passed). With fail-fast on
 * (the default) a {@link AlarmLevel#FAIL} alarm throws {@link BnGateFailure} out of {@code fit}.
 *
 * <p>The probes run in {@code iterationDone} (calling {@code output} inside {@code onForwardPass}
 * throws a workspace exception in DL4J 1.0.0-M2.1). They change no parameter, no updater state
 * and draw no random numbers, so a monitored run follows exactly the trajectory of an
 * unmonitored one. The weights feeding each BN layer are also snapshotted one iteration before
 * each checkpoint, so the rotation reported is the per-step angular change, and every
 * {@value WeightSnapshotRing#DEFAULT_EVERY} iterations into a {@link WeightSnapshotRing} reaching
 * back the EMA's mean age {@code d/(1-d)}, so each checkpoint also carries the measured lag angle
 * next to the single-step prediction {@code rotation x d/(1-d)}. At a checkpoint, each BN layer whose
 * decay in force is near the shortest window (at most {@link io.github.bndoctor.probe.NoiseCost#NEAR_FLOOR_DECAY},
 * as {@code AdaptiveDecay} sets it where the weights turn fast) also gets the output cost of its EMA's
 * sampling noise at the largest training batch seen ({@link io.github.bndoctor.probe.NoiseCost}: one
 * training-mode pass over the probe and {@value io.github.bndoctor.probe.NoiseCost#DRAWS} inference
 * passes per such layer; none where no layer is that low), and the checkpoint the cost of every moving
 * layer's noise at once ({@link io.github.bndoctor.probe.Checkpoint#jointNoiseCost()}: another
 * {@value io.github.bndoctor.probe.NoiseCost#DRAWS} inference passes).
 *
 * <p>With {@link Builder#confirmLagAbove(double)} the monitor also runs the free per-iteration
 * signal ({@link BatchStatisticsFromUpdates}): when the median lag error it reads at an iteration
 * exceeds the threshold, a {@link #FREE_LAG} warning is recorded and a checkpoint runs at once to
 * confirm it with the loss probe, instead of waiting for the next scheduled one. Confirmations are
 * bounded, so that a signal that reads high all the time cannot multiply the probe's cost: a
 * confirmation runs only (1) at least one free-signal window after the last checkpoint of any kind,
 * and (2) while the confirmations so far number fewer than {@code ceil(b (s + 1))}, where {@code s}
 * is the number of scheduled checkpoints reached so far ({@code floor(t/K)} at iteration {@code t})
 * and {@code b} the budget per scheduled interval ({@link Builder#confirmationBudget(double)},
 * default {@value #DEFAULT_CONFIRMATION_BUDGET}). Over a run of {@code S} scheduled checkpoints there
 * are therefore at most {@code ceil(b (S + 1))} confirming checkpoints, the first of them allowed
 * before the first scheduled checkpoint. A reading above the threshold that finds the budget spent
 * records nothing.
 *
 * <p>With {@link Builder#lagAlarm(LagAlarm)} the monitor scores every checkpoint with a
 * {@link LagAlarm}: an early warning ({@link #LAG_WARNING}, metric suffixed with the signal that
 * fired) when the free signal's latest median lag error, the predicted or the measured lag angle
 * exceeds its threshold and the probe's eval/train forecast one EMA mean age ahead supports it, or
 * the probe's eval/train is already degraded ({@link LagAlarm#warning}), and a state alarm ({@link #LAG_ALARM}, value eval/precise) when the
 * probe confirms a cheap signal. Both are {@link AlarmLevel#WARN}: the {@code FAIL} gate stays with the
 * {@link AlarmPolicy}. The free signal then also triggers confirming checkpoints above the rule's
 * free-lag threshold, unless {@link Builder#confirmLagAbove(double)} set another.
 *
 * <p>Precise statistics need training examples of their own: pass a separate iterator (or a
 * supplier of fresh ones), never the one {@code fit} is consuming.
 */
public final class BnMonitor extends BaseTrainingListener {
    /**
     * Default sampling interval. A checkpoint (precise statistics, the probe passes) costs
     * as much as several training iterations; the {@code bench} leg measures its share of training
     * time (figures in {@code docs/record.md}). Training that needs a closer watch can sample more
     * often ({@link Builder#every(int)}).
     */
    public static final int DEFAULT_EVERY = 1000;
    /** Metric name of the free signal's median lag error (a warning that triggered a confirming checkpoint). */
    public static final String FREE_LAG = "freeLag";
    /** Metric prefix of a {@link LagAlarm} early warning; the suffix names the signal that fired. */
    public static final String LAG_WARNING = "lagWarning";
    /** Metric name of a {@link LagAlarm} state alarm (value: the checkpoint's eval/precise ratio). */
    public static final String LAG_ALARM = "lagAlarm";
    /**
     * Default budget of confirming checkpoints per scheduled interval: one for every four scheduled
     * checkpoints, so confirmations add at most about a quarter of the scheduled probes' cost.
     */
    public static final double DEFAULT_CONFIRMATION_BUDGET = 0.25;

    private final INDArray[] probeFeatures;
    private final INDArray[] probeLabels;
    private final Supplier<Iterator<INDArray[]>> preciseData;
    private final int every;
    private final AlarmPolicy policy;
    private final Diagnoser diagnoser;
    private final boolean failFast;
    private final boolean priorFree;
    private Boolean priorPresent;
    /**
     * Precise statistics at the first iteration seen when the prior is present (the warm-started twin's
     * start), empty when it is not; {@code null} before the first iteration.
     */
    private Map<String, MeanVariance> warmStart;
    private final Consumer<Checkpoint> onCheckpoint;
    private final BatchStatisticsFromUpdates free;
    private final double confirmAbove;
    private final boolean measureLagAngle;
    private final boolean measureNoiseCost;
    private final LagAlarm lagAlarm;
    private final double confirmationBudget;
    private long confirmations;
    private long lastCheckpoint;
    private final List<Checkpoint> checkpoints = new ArrayList<>();
    private final List<Alarm> alarms = new ArrayList<>();
    private RotationTracker rotation;
    private WeightSnapshotRing ring;
    private long probeNanos;
    private long trainingBatch;

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
        this.lagAlarm = b.lagAlarm;
        this.confirmAbove = Double.isNaN(b.confirmAbove) && b.lagAlarm != null ? b.lagAlarm.freeLag() : b.confirmAbove;
        this.measureLagAngle = b.measureLagAngle;
        this.measureNoiseCost = b.measureNoiseCost;
        this.confirmationBudget = b.confirmationBudget;
        this.free = Double.isNaN(this.confirmAbove) ? null
                : new BatchStatisticsFromUpdates(b.freeWindow, BatchStatisticsFromUpdates.DEFAULT_READ_EVERY, b.priorFree,
                        null);
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        lookForPrior(model);
        if (free != null) {
            free.onForwardPass(model, activations);
        }
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        lookForPrior(model);
        if (free != null) {
            free.onForwardPass(model, activations);
        }
    }

    @Override
    public void onGradientCalculation(Model model) {
        lookForPrior(model);
        if (free != null) {
            free.onGradientCalculation(model);
        }
    }

    /**
     * Once, before the first update the monitor sees: whether any BN layer still holds DL4J's initial
     * moving statistics. If none does, they were warm-started or trained before, and the EMA carries
     * no prior to be called warm-up.
     */
    private void lookForPrior(Model model) {
        if (priorPresent == null) {
            BnNetwork net = BnNetwork.requireBatchNorm(model);
            priorPresent = !priorFree && net.bnLayers().stream().anyMatch(ref -> ref.decay() < 1
                    && io.github.bndoctor.dl4j.MovingStatistics.holdsInitialValues(net, ref));
        }
    }

    /**
     * @return whether the moving statistics carry DL4J's mean-0/variance-1 prior: not declared
     *     warm-started ({@link Builder#warmStarted()}) and, when the monitor first saw the network
     *     before an update, some BN layer still held those initial values ({@code true} until then)
     */
    public boolean priorPresent() {
        return priorPresent == null ? !priorFree : priorPresent;
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
        trainingBatch = Math.max(trainingBatch, model.batchSize());
        if (warmStart == null) {
            long w0 = System.nanoTime();
            // what a warm start would have written, measured once, so that warm-up is named only where
            // the warm-started twin of the run stays within the gap (Diagnoser)
            warmStart = priorPresent() ? diagnoser.preciseStatistics(BnNetwork.requireBatchNorm(model), preciseData.get())
                    : Map.of();
            probeNanos += System.nanoTime() - w0;
        }
        long done = iteration + 1L;
        long phase = done % every;
        boolean snapshot = measureLagAngle && done % WeightSnapshotRing.DEFAULT_EVERY == 0;
        Alarm confirm = null;
        if (free != null) {
            long f0 = System.nanoTime();
            free.iterationDone(model, iteration, epoch);
            LagReading r = free.latest();
            if (phase != 0 && r != null && r.iteration() == done && r.medianLagError() > confirmAbove
                    && done - lastCheckpoint >= free.window()
                    && confirmations < confirmationsAllowed(confirmationBudget, done / every)) {
                confirm = new Alarm(done, worstLag(r), FREE_LAG, r.medianLagError(), confirmAbove, AlarmLevel.WARN);
                confirmations++;
                phase = 0;
            }
            probeNanos += System.nanoTime() - f0;
        }
        if (phase != 0 && phase != every - 1 && !snapshot) {
            return;
        }
        long t0 = System.nanoTime();
        BnNetwork net = BnNetwork.requireBatchNorm(model);
        if (rotation == null) {
            rotation = new RotationTracker(net);
            ring = measureLagAngle ? WeightSnapshotRing.covering(net, WeightSnapshotRing.DEFAULT_EVERY) : null;
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
            if (ring != null && ref.decay() < 1) {
                measured.put(ref.name(), ring.lagAngleDegrees(net, ref.name(), done, ref.decay()));
            }
        }
        Checkpoint c = diagnoser.diagnose(net, probeFeatures, probeLabels, preciseData.get(), done,
                priorPresent() ? done : Long.MAX_VALUE, rot, measured, warmStart,
                measureNoiseCost ? (int) trainingBatch : 0);
        checkpoints.add(c);
        lastCheckpoint = done;
        if (confirm != null) {
            alarms.add(confirm);
        }
        if (lagAlarm != null) {
            alarms.addAll(lagAlarms(c));
        }
        List<Alarm> raised = policy.evaluate(c, checkpoints);
        alarms.addAll(raised);
        probeNanos += System.nanoTime() - t0;
        onCheckpoint.accept(c);
        if (failFast) {
            for (Alarm a : raised) {
                if (a.level() == AlarmLevel.FAIL) {
                    throw new BnGateFailure(a, c, confirm != null
                            ? String.format(java.util.Locale.ROOT, "a confirmation checkpoint: the free lag signal read %s "
                                    + "> %s there; scheduled checkpoints every %d iterations",
                                    GapMessage.number(confirm.value()), GapMessage.number(confirm.threshold()), every)
                            : "the scheduled checkpoint, every " + every + " iterations");
                }
            }
        }
    }

    /**
     * The bound on confirming checkpoints (see the class notes).
     *
     * @param budget confirmations per scheduled interval, at least 0
     * @param scheduled scheduled checkpoints reached so far, at least 0
     * @return {@code ceil(budget (scheduled + 1))}: how many confirmations may have run by then
     */
    public static long confirmationsAllowed(double budget, long scheduled) {
        if (!(budget >= 0) || Double.isInfinite(budget) || scheduled < 0) {
            throw new IllegalArgumentException("budget must be finite and >= 0 and scheduled >= 0, got " + budget
                    + ", " + scheduled);
        }
        return (long) Math.ceil(budget * (scheduled + 1));
    }

    /** @return confirming checkpoints run so far (those the free signal triggered) */
    public long confirmations() {
        return confirmations;
    }

    /** The {@link LagAlarm}'s early warning and state alarm at a checkpoint, in that order (either may be absent). */
    private List<Alarm> lagAlarms(Checkpoint c) {
        LagReading r = free.latest();
        double freeLag = r == null ? Double.NaN : r.medianLagError();
        LagAlarm.Firing warned = lagAlarm.warning(freeLag, checkpoints);
        String layer = r == null ? "*" : worstLag(r);
        List<Alarm> out = new ArrayList<>(2);
        if (warned != null) {
            out.add(new Alarm(c.iteration(), layer, LAG_WARNING + "." + warned.signal(), warned.value(),
                    warned.threshold(), AlarmLevel.WARN));
        }
        if (lagAlarm.alarms(freeLag, c)) {
            out.add(new Alarm(c.iteration(), layer, LAG_ALARM, c.gap().evalToPreciseRatio(), lagAlarm.evalPreciseRatio(),
                    AlarmLevel.WARN));
        }
        return out;
    }

    private static String worstLag(LagReading r) {
        return r.layers().stream().max(java.util.Comparator.comparingDouble(LayerDecomposition::lagError))
                .map(LayerDecomposition::layer).orElse("*");
    }

    /** @return the free per-iteration signal, or {@code null} unless {@link Builder#confirmLagAbove} was set */
    public BatchStatisticsFromUpdates freeSignal() {
        return free;
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

    /**
     * Probe examples per training example of a batch: the probe's batch statistics spread
     * {@code 1/sqrt(k)} times as widely as a training batch's ({@link io.github.bndoctor.probe.NoiseLimit}
     * scales them back).
     *
     * @return {@code k}, the probe's examples over the largest training batch seen so far (the
     *     largest: a smaller last batch must not overstate the training batches' spread), or 1
     *     before the first iteration
     */
    public double probePerTrainingBatch() {
        return trainingBatch == 0 ? 1 : (double) probeFeatures[0].size(0) / trainingBatch;
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
        private double confirmAbove = Double.NaN;
        private int freeWindow = BatchStatisticsFromUpdates.DEFAULT_WINDOW;
        private boolean measureLagAngle = true;
        private boolean measureNoiseCost = true;
        private LagAlarm lagAlarm;
        private double confirmationBudget = DEFAULT_CONFIRMATION_BUDGET;

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
         * {@link io.github.bndoctor.remedy.WarmStart}), so no error is attributed to warm-up. Without
         * it the monitor tells by itself when it sees the network before an update: statistics other
         * than DL4J's initial ones in every BN layer carry no prior ({@link BnMonitor#priorPresent()}).
         *
         * @return this
         */
        public Builder warmStarted() {
            this.priorFree = true;
            return this;
        }

        /**
         * Runs the free per-iteration lag signal and confirms it with a checkpoint whenever its
         * median lag error exceeds {@code medianLagError} (at most once per window and within the
         * {@link #confirmationBudget(double) confirmation budget}).
         *
         * @param medianLagError threshold on {@link LagReading#medianLagError()}, at least 0
         * @return this
         */
        public Builder confirmLagAbove(double medianLagError) {
            if (!(medianLagError >= 0)) {
                throw new IllegalArgumentException("lag threshold must be >= 0, got " + medianLagError);
            }
            this.confirmAbove = medianLagError;
            return this;
        }

        /**
         * Bounds the confirming checkpoints the free signal may trigger: at most
         * {@code ceil(b (s + 1))} by the time {@code s} scheduled checkpoints have been reached.
         *
         * @param perScheduledInterval {@code b}, confirmations per scheduled interval, finite and at
         *     least 0 (0: the free signal never adds a checkpoint; default
         *     {@value BnMonitor#DEFAULT_CONFIRMATION_BUDGET})
         * @return this
         */
        public Builder confirmationBudget(double perScheduledInterval) {
            if (!(perScheduledInterval >= 0) || Double.isInfinite(perScheduledInterval)) {
                throw new IllegalArgumentException("confirmation budget must be finite and >= 0, got "
                        + perScheduledInterval);
            }
            this.confirmationBudget = perScheduledInterval;
            return this;
        }

        /**
         * Scores every checkpoint with a {@link LagAlarm} (e.g. {@link LagAlarm#CALIBRATED}): early
         * warnings and probe-confirmed state alarms, both {@link AlarmLevel#WARN}; runs the free
         * signal, confirming above the rule's free-lag threshold unless
         * {@link #confirmLagAbove(double)} sets another.
         *
         * @param rule the thresholds
         * @return this
         */
        public Builder lagAlarm(LagAlarm rule) {
            this.lagAlarm = Objects.requireNonNull(rule);
            return this;
        }

        /**
         * @param m whether to keep weight snapshots for the measured lag angle (default on). The
         *     ring holds {@code d/(1-d)/10 + 1} float copies of the weights feeding the BN layers
         *     (34 at decay 0.997): switch it off for models whose weights do not fit that many times
         * @return this
         */
        public Builder measureLagAngle(boolean m) {
            this.measureLagAngle = m;
            return this;
        }

        /**
         * @param m whether to measure, at checkpoints, the output cost of the sampling noise of layers
         *     whose decay is near the shortest window ({@link io.github.bndoctor.probe.NoiseCost}; default
         *     on): {@value io.github.bndoctor.probe.NoiseCost#DRAWS} inference passes over the probe per such
         *     layer, and as many for all moving layers at once. Off, noise-limited layers are judged by the distance criterion alone
         *     ({@link io.github.bndoctor.probe.NoiseLimit})
         * @return this
         */
        public Builder measureNoiseCost(boolean m) {
            this.measureNoiseCost = m;
            return this;
        }

        /**
         * @param w iterations pooled by the free signal, at least 2
         * @return this
         */
        public Builder freeSignalWindow(int w) {
            if (w < 2) {
                throw new IllegalArgumentException("window must be >= 2 iterations, got " + w);
            }
            this.freeWindow = w;
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
