package io.github.bndoctor.remedy;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.WeightSnapshotRing;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A DL4J {@code TrainingListener} that adapts each BN layer's decay while training so that the
 * EMA's lag stays within a budget of {@code B} degrees of weight rotation.
 *
 * <p>Every {@code s} iterations it snapshots the weights feeding each BN layer
 * ({@link WeightSnapshotRing}); every {@code K} iterations it finds, per layer, the largest age
 * {@code A} up to which the angle between the current weights and the snapshot of that age stays
 * within {@code B} (interpolated between snapshots), and takes the decay whose EMA has that mean
 * age: {@code d = A/(A+1)} (mean age {@code d/(1-d)} = {@code A}), clamped to
 * {@code [d_min, configured decay]}. Where the angle stays within {@code B} up to the configured
 * decay's mean age, or the history is still too short to show otherwise, the configured decay
 * applies. A layer's input moves when any layer upstream of it turns, so by default each layer then
 * gets the lowest of its own decay and those of its upstream BN layers
 * ({@link #limitByUpstream}).
 *
 * <p>Why the defaults (B = {@value #DEFAULT_BUDGET_DEG} degree, {@code d_min} =
 * {@value #DEFAULT_MIN_DECAY}, every iteration, upstream limit on;
 * fixtures/scenario-calibration.md, "Adaptive decay: the floor"). On the seed configuration (Adam
 * 1e-3, decay 0.997) late in the run the weights turn fast, in bursts; what a floor of 0.9 leaves
 * there is lag, not the noise of a short window, so the budget, not the floor, decides. The defaults
 * were chosen on seeds 1-3 and reported on held-out seeds 4-6, against larger budgets, no upstream
 * limit and sparser adaptation; the figures, and the listener's cost, are in {@code docs/record.md}.
 *
 * <p>Training itself is untouched: the decay only weights the moving statistics, which training
 * mode never uses, and the listener reads weights without changing them or drawing random numbers
 * (the training-mode loss trajectory is bit-identical with and without it, tested).
 *
 * <p>The decay lives in the layer's configuration, which DL4J reads in every backprop and saves with
 * the model: a model saved during or after training keeps the adapted decays (tested on both network
 * types). Call {@link #restoreConfigured(Model)} before saving to put the configured decays back.
 */
public final class AdaptiveDecay extends BaseTrainingListener {
    /** Default angle budget, degrees (see the class notes). */
    public static final double DEFAULT_BUDGET_DEG = 0.5;
    /**
     * Default decay floor: a mean age of one iteration (the seed report's "decay 0.5 helped", docs/background.md); where the
     * weights turn fast the lag of a longer floor costs more than this window's batch noise.
     */
    public static final double DEFAULT_MIN_DECAY = 0.5;
    /**
     * Default iterations between adaptations: every iteration, since bursts of rotation build up
     * within a few iterations (adapting every 10 let seed 4's eval/train reach 1.27 in one, every
     * iteration 1.13).
     */
    public static final int DEFAULT_EVERY = 1;
    /**
     * Default number of adaptations kept in {@link #history()}: the latest ones, so a long training at
     * one adaptation per iteration does not grow the listener without bound.
     */
    public static final int DEFAULT_HISTORY = 4096;

    private final int every;
    private final int snapshotEvery;
    private final double budgetDeg;
    private final double minDecay;
    private final boolean followUpstream;
    private final int historyCapacity;
    private Model bound;
    private BnNetwork net;
    private WeightSnapshotRing ring;
    /** The BN layers, their names and configured decays, and each one's upstream BN layers, in forward order. */
    private BnLayerRef[] layers = new BnLayerRef[0];
    private String[] names = new String[0];
    private double[] configuredDecays = new double[0];
    private int[][] upstream = new int[0][];
    /** Each layer's own decay at the latest adaptation (reused). */
    private double[] own = new double[0];
    /**
     * The latest adaptations as a ring of reused rows, {@code historyDecays[slot][layer]}, the oldest at
     * {@code historyStart}; {@link #history()} turns them into {@link Adaptation}s.
     */
    private long[] historyIterations = new long[0];
    private double[][] historyDecays = new double[0][];
    private int historyStart;
    private int historySize;
    /** {@link #history()}'s list, until the next adaptation. */
    private List<Adaptation> historyView;

    /**
     * Decays set at one adaptation.
     *
     * @param iteration iterations done when they were set
     * @param decays BN layer name to the decay in force from then on, in forward order
     */
    public record Adaptation(long iteration, Map<String, Double> decays) {
        /**
         * @param iteration iterations done
         * @param decays decays per layer
         */
        public Adaptation {
            decays = Collections.unmodifiableMap(new LinkedHashMap<>(decays));
        }
    }

    private AdaptiveDecay(Builder b) {
        this.every = b.every;
        this.snapshotEvery = b.snapshotEvery;
        this.budgetDeg = b.budgetDeg;
        this.minDecay = b.minDecay;
        this.followUpstream = b.followUpstream;
        this.historyCapacity = b.historyCapacity;
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        long done = iteration + 1L;
        if (model != bound) {
            bind(model);
        }
        ring.record(net, done);
        if (done % every != 0) {
            return;
        }
        long[] ages = ring.ages(done);
        for (int i = 0; i < layers.length; i++) {
            own[i] = decayFor(ages, ring.angleOf(net, names[i], done), budgetDeg, minDecay, configuredDecays[i]);
        }
        double[] set = nextHistoryRow(done);
        if (followUpstream) {
            limitByUpstream(own, upstream, configuredDecays, minDecay, set);
        } else {
            System.arraycopy(own, 0, set, 0, own.length);
        }
        for (int i = 0; i < layers.length; i++) {
            net.setDecay(layers[i], set[i]);
        }
    }

    /** Claims the history's row for the adaptation at {@code done}, dropping the oldest when full. */
    private double[] nextHistoryRow(long done) {
        if (historyIterations.length < historyCapacity && historySize == historyIterations.length) {
            // grow towards the capacity, so that a short training does not hold a full history's rows
            int grown = (int) Math.min(historyCapacity, Math.max(16L, 2L * historyIterations.length));
            long[] iterations = new long[grown];
            double[][] decays = new double[grown][];
            for (int k = 0; k < historySize; k++) {
                int slot = (historyStart + k) % historyIterations.length;
                iterations[k] = historyIterations[slot];
                decays[k] = historyDecays[slot];
            }
            historyIterations = iterations;
            historyDecays = decays;
            historyStart = 0;
        }
        int slot;
        if (historySize < historyIterations.length) {
            slot = (historyStart + historySize) % historyIterations.length;
            historySize++;
        } else {
            slot = historyStart;
            historyStart = (historyStart + 1) % historyIterations.length;
        }
        if (historyDecays[slot] == null) {
            historyDecays[slot] = new double[layers.length];
        }
        historyIterations[slot] = done;
        historyView = null;
        return historyDecays[slot];
    }

    private void bind(Model model) {
        bound = model;
        net = BnNetwork.requireBatchNorm(model);
        layers = net.bnLayers().toArray(new BnLayerRef[0]);
        names = new String[layers.length];
        configuredDecays = new double[layers.length];
        Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < layers.length; i++) {
            names[i] = layers[i].name();
            configuredDecays[i] = layers[i].decay();
            index.put(names[i], i);
        }
        int capacity = 1;
        for (double d : configuredDecays) {
            if (d < 1) {
                capacity = Math.max(capacity, WeightSnapshotRing.capacityFor(d, snapshotEvery));
            }
        }
        ring = new WeightSnapshotRing(net, snapshotEvery, capacity);
        upstream = new int[layers.length][];
        for (int i = 0; i < layers.length; i++) {
            upstream[i] = net.upstreamBnLayers(layers[i]).stream().mapToInt(index::get).toArray();
        }
        own = new double[layers.length];
        historyIterations = new long[0];
        historyDecays = new double[0][];
        historyStart = 0;
        historySize = 0;
        historyView = null;
    }

    /**
     * Limits each layer's decay by the decays of the BN layers upstream of it: a layer's input moves
     * when any layer feeding it turns, so its EMA may average no longer than the shortest window
     * upstream needs.
     *
     * @param own each layer's decay from its own weights' angles ({@link #decayFor}), in forward order
     * @param upstream each layer's upstream BN layers ({@link BnNetwork#upstreamBnLayers})
     * @param configured each layer's configured decay
     * @param minDecay the floor {@code d_min}
     * @return per layer the lowest of its own decay and its upstream layers' own decays, not below
     *     {@code min(d_min, configured)}; a frozen layer (configured decay 1) keeps its decay and does
     *     not limit the layers after it
     */
    public static Map<String, Double> limitByUpstream(Map<String, Double> own, Map<String, Set<String>> upstream,
                                                      Map<String, Double> configured, double minDecay) {
        List<String> layers = List.copyOf(own.keySet());
        Map<String, Integer> index = new java.util.HashMap<>();
        double[] ownDecays = new double[layers.size()];
        double[] configuredDecays = new double[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            index.put(layers.get(i), i);
            ownDecays[i] = own.get(layers.get(i));
            configuredDecays[i] = configured.get(layers.get(i));
        }
        int[][] up = new int[layers.size()][];
        for (int i = 0; i < layers.size(); i++) {
            up[i] = upstream.getOrDefault(layers.get(i), Set.of()).stream().mapToInt(index::get).toArray();
        }
        double[] limited = new double[layers.size()];
        limitByUpstream(ownDecays, up, configuredDecays, minDecay, limited);
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            out.put(layers.get(i), limited[i]);
        }
        return out;
    }

    /** As {@link #limitByUpstream(Map, Map, Map, double)} on arrays indexed by layer, written into {@code out}. */
    private static void limitByUpstream(double[] own, int[][] upstream, double[] configured, double minDecay,
                                        double[] out) {
        for (int i = 0; i < own.length; i++) {
            double conf = configured[i];
            if (conf >= 1) {
                out[i] = conf;
                continue;
            }
            double d = own[i];
            for (int up : upstream[i]) {
                // a frozen upstream layer's own decay is its configured 1, which limits nothing
                d = Math.min(d, own[up]);
            }
            out[i] = Math.max(Math.min(minDecay, conf), d);
        }
    }

    /**
     * The decay for one layer from its angle profile.
     *
     * @param ages snapshot ages, youngest first (as {@link WeightSnapshotRing#ages})
     * @param anglesDeg angle between the current weights and each snapshot, degrees, same order
     * @param budgetDeg the angle budget {@code B}, above 0
     * @param minDecay the floor {@code d_min}
     * @param configuredDecay the configured decay, the ceiling
     * @return {@code A/(A+1)} for the largest age {@code A} whose angle stays within {@code B},
     *     clamped to {@code [min(d_min, configured), configured]}; the configured decay if the angle stays
     *     within {@code B} up to its mean age, the history is too short to tell, or an angle is unknown;
     *     a frozen layer (configured decay 1: its moving statistics never move) stays frozen
     */
    public static double decayFor(long[] ages, double[] anglesDeg, double budgetDeg, double minDecay,
                                  double configuredDecay) {
        if (ages.length != anglesDeg.length) {
            throw new IllegalArgumentException("ages and angles differ in length: " + ages.length + " vs "
                    + anglesDeg.length);
        }
        return decayFor(ages, k -> anglesDeg[k], budgetDeg, minDecay, configuredDecay);
    }

    /**
     * As {@link #decayFor(long[], double[], double, double, double)}, reading the angles youngest
     * first and only as far as the result depends on them: up to the first angle past the budget, or
     * up to the first snapshot at least the configured decay's mean age old (every angle beyond it
     * gives the configured decay).
     *
     * @param ages snapshot ages, youngest first
     * @param angleDeg the angle to snapshot {@code k}, degrees ({@link WeightSnapshotRing#angleOf})
     * @param budgetDeg the angle budget {@code B}, above 0
     * @param minDecay the floor {@code d_min}
     * @param configuredDecay the configured decay, the ceiling
     * @return as the array form
     */
    static double decayFor(long[] ages, java.util.function.IntToDoubleFunction angleDeg, double budgetDeg,
                           double minDecay, double configuredDecay) {
        if (configuredDecay >= 1) {
            return configuredDecay;
        }
        double meanAge = configuredDecay / (1 - configuredDecay);
        double prevAge = 0;
        double prevAngle = 0;
        for (int k = 0; k < ages.length; k++) {
            if (ages[k] <= 0) {
                continue;
            }
            if (prevAge >= meanAge) {
                // a crossing from here on interpolates to an age of at least prevAge
                return configuredDecay;
            }
            double angle = angleDeg.applyAsDouble(k);
            if (Double.isNaN(angle)) {
                return configuredDecay;
            }
            if (angle > budgetDeg) {
                double a = prevAge + (budgetDeg - prevAngle) * (ages[k] - prevAge) / (angle - prevAngle);
                if (a >= meanAge) {
                    return configuredDecay;
                }
                return Math.min(configuredDecay, Math.max(minDecay, a / (a + 1)));
            }
            prevAge = ages[k];
            prevAngle = angle;
        }
        return configuredDecay;
    }

    /**
     * Puts every BN layer's configured decay back (before saving the model, if the adapted decays
     * should not be saved with it).
     *
     * @param model the model this listener adapted
     */
    public void restoreConfigured(Model model) {
        if (model != bound) {
            throw new IllegalArgumentException("this listener has not adapted that model");
        }
        for (int i = 0; i < layers.length; i++) {
            net.setDecay(layers[i], configuredDecays[i]);
        }
    }

    /** @return the latest adaptations, oldest first, at most {@link Builder#history(int)} of them */
    public List<Adaptation> history() {
        if (historyView == null) {
            List<Adaptation> out = new java.util.ArrayList<>(historySize);
            for (int k = 0; k < historySize; k++) {
                int slot = (historyStart + k) % historyIterations.length;
                out.add(new Adaptation(historyIterations[slot], byName(historyDecays[slot])));
            }
            historyView = List.copyOf(out);
        }
        return historyView;
    }

    /** @return each BN layer's configured decay (read when the listener first saw the model) */
    public Map<String, Double> configuredDecays() {
        return Collections.unmodifiableMap(byName(configuredDecays));
    }

    /** @return {@code values} by layer name, in forward order */
    private Map<String, Double> byName(double[] values) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            out.put(names[i], values[i]);
        }
        return out;
    }

    /** @return the angle budget, degrees */
    public double budgetDegrees() {
        return budgetDeg;
    }

    /** @return the decay floor */
    public double minDecay() {
        return minDecay;
    }

    /** @return iterations between adaptations */
    public int every() {
        return every;
    }

    /** @return whether each layer's decay is limited by its upstream BN layers' decays */
    public boolean followsUpstream() {
        return followUpstream;
    }

    /** Builder of {@link AdaptiveDecay}. */
    public static final class Builder {
        private int every = DEFAULT_EVERY;
        private int snapshotEvery = WeightSnapshotRing.DEFAULT_EVERY;
        private double budgetDeg = DEFAULT_BUDGET_DEG;
        private double minDecay = DEFAULT_MIN_DECAY;
        private boolean followUpstream = true;
        private int historyCapacity = DEFAULT_HISTORY;

        private Builder() {
        }

        /**
         * @param adaptations how many of the latest adaptations {@link AdaptiveDecay#history()} keeps, at least 1
         *     (default {@value AdaptiveDecay#DEFAULT_HISTORY})
         * @return this
         */
        public Builder history(int adaptations) {
            if (adaptations < 1) {
                throw new IllegalArgumentException("history capacity must be >= 1, got " + adaptations);
            }
            this.historyCapacity = adaptations;
            return this;
        }

        /**
         * @param follow whether each layer's decay is limited by its upstream BN layers' decays
         *     ({@link AdaptiveDecay#limitByUpstream}; default on)
         * @return this
         */
        public Builder followUpstream(boolean follow) {
            this.followUpstream = follow;
            return this;
        }

        /**
         * @param k iterations between adaptations, at least 1
         * @return this
         */
        public Builder every(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("adaptation interval must be >= 1, got " + k);
            }
            this.every = k;
            return this;
        }

        /**
         * @param s iterations between weight snapshots, at least 1
         * @return this
         */
        public Builder snapshotEvery(int s) {
            if (s < 1) {
                throw new IllegalArgumentException("snapshot interval must be >= 1, got " + s);
            }
            this.snapshotEvery = s;
            return this;
        }

        /**
         * @param degrees the angle budget {@code B}, finite and above 0
         * @return this
         */
        public Builder budgetDegrees(double degrees) {
            if (!(degrees > 0) || Double.isInfinite(degrees)) {
                throw new IllegalArgumentException("angle budget must be finite and > 0, got " + degrees);
            }
            this.budgetDeg = degrees;
            return this;
        }

        /**
         * @param d the decay floor {@code d_min}, in (0, 1)
         * @return this
         */
        public Builder minDecay(double d) {
            if (!(d > 0 && d < 1)) {
                throw new IllegalArgumentException("decay floor must be in (0, 1), got " + d);
            }
            this.minDecay = d;
            return this;
        }

        /** @return the listener */
        public AdaptiveDecay build() {
            return new AdaptiveDecay(this);
        }
    }
}
