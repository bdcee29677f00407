package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.FeedingWeights;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaBelief;
import org.nd4j.linalg.learning.config.AdaMax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nadam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Forecast, before training, of each BN layer's EMA lag from the configuration alone: the updater,
 * learning rate and regularisation of the weights feeding the layer ({@link FeedingWeights}) give
 * their equilibrium rotation per step ({@link EquilibriumRotation}), and the BN decay turns it into
 * a lag range, from the random-walk bound {@code rotation x sqrt(d/(1-d))} to the drift bound
 * {@code rotation x d/(1-d)}, and the largest decay keeping the drift bound under
 * {@value #DRIFT_BUDGET_DEG} degrees.
 *
 * <p>Read at iteration 0: learning-rate, momentum and regularisation schedules are taken at their
 * start. The equilibrium takes time to reach: the squared weight norm relaxes towards it with time
 * constant {@code 1/(2s)} for Adam-like updaters (constant-size steps) and {@code 1/(4s)} for SGD
 * (steps shrinking as {@code 1/||w||}), {@code s} being the shrink per step ({@code eta l} for
 * decoupled decay, {@code eta l/(1-a)} for coupled L2 under momentum {@code a}), counted from a
 * start near the equilibrium norm: initial weights whose squared norm is {@code r} times the
 * equilibrium one take about {@code ln r} time constants more. Until then the measured rotation depends on the
 * initial scale: the monitor ({@code BnMonitor}) measures it.
 *
 * <p>The equilibrium rests on scale invariance, which the BN epsilon breaks once weight decay has
 * shrunk the feeding weights until the BN input's batch variance is comparable to {@code eps}: the
 * gradient then gains a radial part that resists the shrink and the weights turn slower than
 * forecast ({@link ScaleInvariance} measures {@code v/(v+eps)}; forecast against measured rotation
 * on the seed scenario at both epsilons: {@code docs/record.md}).
 * The forecast is the root mean square of the one-step angles (the equilibrium balances expected
 * squared steps); their distribution is skewed, so a median of steps falls well below it.
 */
public final class LagForecast {
    /** Drift-bound budget in degrees for {@link LayerForecast#largestDecay()}: the monitor's predicted-lag warning level. */
    public static final double DRIFT_BUDGET_DEG = 5;
    /** Start of the note of a layer whose updater or regularisation values lie outside their domain. */
    public static final String OUT_OF_DOMAIN = "configuration value out of its domain";
    /** Time constants after which the equilibrium counts as reached ({@code e^-3}: 5% of the initial excess). */
    public static final double TIME_CONSTANTS_TO_EQUILIBRIUM = 3;

    private LagForecast() {
    }

    /** Whether the configuration has a rotational equilibrium. */
    public enum Regime {
        /** A fixed rotation per step once the weight norm has settled. */
        EQUILIBRIUM,
        /** No equilibrium: the rotation follows the weight norm (measure it with the monitor). */
        NO_EQUILIBRIUM,
        /** No forecast: no single feeding weight matrix, or an updater without a known equilibrium. */
        UNKNOWN
    }

    /**
     * One BN layer's forecast.
     *
     * @param layer the BN layer
     * @param feedingLayer the layer whose weights feed it, or {@code null}
     * @param regime whether a forecast exists
     * @param updater the feeding weights' updater (DL4J class name), or {@code null}
     * @param learningRate the updater's initial learning rate, or {@code NaN}
     * @param momentum the momentum (SGD) or first-moment decay (Adam-like), or {@code NaN}
     * @param l2 coupled L2 coefficient on the feeding weights
     * @param weightDecay decoupled weight-decay coefficient on the feeding weights
     * @param decay the BN layer's decay
     * @param rotationDegPerStep equilibrium rotation, degrees per step ({@code NaN} without equilibrium)
     * @param randomWalkLagDeg lower end of the lag range, degrees
     * @param driftLagDeg upper end of the lag range, degrees
     * @param largestDecay the largest decay keeping the drift bound under {@value #DRIFT_BUDGET_DEG} degrees
     * @param equilibriumIterations iterations after which the equilibrium is reached
     *     ({@value #TIME_CONSTANTS_TO_EQUILIBRIUM} time constants)
     * @param note what the forecast rests on, or why there is none
     */
    public record LayerForecast(String layer, String feedingLayer, Regime regime, String updater, double learningRate,
                                double momentum, double l2, double weightDecay, double decay,
                                double rotationDegPerStep, double randomWalkLagDeg, double driftLagDeg,
                                double largestDecay, double equilibriumIterations, String note) {
        /**
         * @return the relaxation time constant {@code tau} of the rotation's approach to equilibrium
         *     ({@link EquilibriumRotation#remainingIterations}), iterations; {@code NaN} without equilibrium
         */
        public double timeConstantIterations() {
            return equilibriumIterations / TIME_CONSTANTS_TO_EQUILIBRIUM;
        }

        /**
         * @param measuredDegPerStep the rotation per step measured now (e.g. a checkpoint's), above 0
         * @return iterations until equilibrium from now ({@link EquilibriumRotation#remainingIterations})
         * @throws IllegalStateException without an equilibrium
         */
        public double remainingIterations(double measuredDegPerStep) {
            if (regime != Regime.EQUILIBRIUM || !(rotationDegPerStep > 0)) {
                throw new IllegalStateException("layer '" + layer + "' has no rotational equilibrium: " + note);
            }
            return EquilibriumRotation.remainingIterations(measuredDegPerStep, rotationDegPerStep,
                    timeConstantIterations());
        }
    }

    /**
     * @param net an initialised network (weights are not read, only configurations)
     * @return one forecast per BN layer, in forward order
     */
    public static List<LayerForecast> of(BnNetwork net) {
        FeedingWeights feeding = FeedingWeights.of(net);
        List<LayerForecast> out = new ArrayList<>();
        for (BnLayerRef ref : net.bnLayers()) {
            Layer layer = feeding.layerOf(net, ref.name());
            out.add(forecast(ref, displayName(feeding.feedingLayerOf(ref.name()), layer), layer));
        }
        return out;
    }

    /**
     * The name a user gave the feeding layer: a MultiLayerNetwork layer is found by its index, but
     * shown by its configured name when it has one ("conv1", not "0").
     */
    private static String displayName(String found, Layer layer) {
        String configured = layer == null || layer.conf() == null || layer.conf().getLayer() == null ? null
                : layer.conf().getLayer().getLayerName();
        return configured != null && !configured.isBlank() ? configured : found;
    }

    /**
     * A configuration read from a model is input: a value outside its domain (a negative learning
     * rate, a momentum of 1, an infinite product) gives a forecast of regime UNKNOWN whose note
     * starts with {@link #OUT_OF_DOMAIN}, never an exception.
     */
    private static LayerForecast forecast(BnLayerRef ref, String feedingName, Layer feedingLayer) {
        try {
            return forecastChecked(ref, feedingName, feedingLayer);
        } catch (IllegalArgumentException | ArithmeticException | IllegalStateException | UnsupportedOperationException e) {
            return none(ref, feedingName, null, Double.NaN, Double.NaN, 0, 0, Regime.UNKNOWN,
                    OUT_OF_DOMAIN + " (" + e.getMessage() + "): no forecast");
        }
    }

    private static LayerForecast forecastChecked(BnLayerRef ref, String feedingName, Layer feedingLayer) {
        if (feedingLayer == null || !(feedingLayer.conf().getLayer() instanceof BaseLayer conf)) {
            return none(ref, feedingName, null, Double.NaN, Double.NaN, 0, 0, Regime.UNKNOWN,
                    "no single feeding weight matrix (merge or element-wise input): no forecast");
        }
        IUpdater u = conf.getUpdaterByParam("W");
        String name = u == null ? null : u.getClass().getSimpleName();
        double lr = u != null && u.hasLearningRate() ? u.getLearningRate(0, 0) : Double.NaN;
        double l2 = 0;
        double wd = 0;
        double shrink = 0;
        List<Regularization> regs = conf.getRegularizationByParam("W");
        for (Regularization r : regs == null ? List.<Regularization>of() : regs) {
            if (r instanceof L2Regularization l) {
                l2 += l.getL2().valueAt(0, 0);
            } else if (r instanceof WeightDecay w) {
                double c = w.getCoeff().valueAt(0, 0);
                wd += c;
                shrink += w.isApplyLR() ? lr * c : c;
            }
        }
        double momentum = momentumOf(u);
        String invalid = outOfDomain(u, lr, momentum, l2, wd, shrink);
        if (invalid != null) {
            return none(ref, feedingName, name, lr, momentum, l2, wd, Regime.UNKNOWN, OUT_OF_DOMAIN + ": " + invalid
                    + " on the weights of " + feedingName + ": no forecast");
        }
        if (Double.isNaN(momentum) || Double.isNaN(lr)) {
            return none(ref, feedingName, name, lr, momentum, l2, wd, Regime.UNKNOWN,
                    "updater " + name + " has no known rotational equilibrium: measure the rotation with the monitor");
        }
        if (u instanceof Sgd || u instanceof Nesterovs) {
            if (l2 == 0 && shrink == 0) {
                return none(ref, feedingName, name, lr, momentum, l2, wd, Regime.NO_EQUILIBRIUM,
                        "no L2 or weight decay: the weights grow and the rotation keeps slowing; measure it with the"
                                + " monitor");
            }
            double rad = EquilibriumRotation.sgd(lr * l2, shrink, momentum);
            double s = lr * l2 / (1 - momentum) + shrink;
            return with(ref, feedingName, name, lr, momentum, l2, wd, rad, TIME_CONSTANTS_TO_EQUILIBRIUM / (4 * s),
                    "SGD momentum " + fmt(momentum) + ": sqrt(2 (eta l2 + eta wd (1-a)) / (1+a))");
        }
        if (shrink == 0) {
            return none(ref, feedingName, name, lr, momentum, l2, wd, Regime.NO_EQUILIBRIUM, l2 > 0
                    ? name + " with coupled L2 (.l2()) has no rotational equilibrium: the updater normalises the L2"
                            + " term with the gradient; measure the rotation with the monitor, or use decoupled"
                            + " .weightDecay()"
                    : name + " without weight decay: the weights grow and the rotation keeps slowing; measure it"
                            + " with the monitor");
        }
        double rad = EquilibriumRotation.adam(shrink, momentum);
        return with(ref, feedingName, name, lr, momentum, l2, wd, rad, TIME_CONSTANTS_TO_EQUILIBRIUM / (2 * shrink),
                name + " beta1 " + fmt(momentum) + " with decoupled weight decay: sqrt(2 eta wd (1-b1) / (1+b1))"
                        + (l2 > 0 ? "; the coupled L2 also set is not included" : ""));
    }

    /**
     * @return what lies outside its domain, or {@code null}: learning rate and coefficients finite
     *     and non-negative, momentum and Adam-like second-moment decays in [0, 1), and the products
     *     the forecast forms finite
     */
    private static String outOfDomain(IUpdater u, double lr, double momentum, double l2, double wd, double shrink) {
        if (u != null && u.hasLearningRate() && !(lr >= 0 && lr < Double.POSITIVE_INFINITY)) {
            return "learning rate " + lr;
        }
        if (!Double.isNaN(momentum) && !(momentum >= 0 && momentum < 1)) {
            return (u instanceof Nesterovs ? "momentum " : "beta1 ") + momentum + " (must be in [0, 1))";
        }
        double beta2 = u instanceof Adam a ? a.getBeta2() : u instanceof AMSGrad a ? a.getBeta2()
                : u instanceof Nadam a ? a.getBeta2() : u instanceof AdaMax a ? a.getBeta2()
                : u instanceof AdaBelief a ? a.getBeta2() : u instanceof RmsProp r ? r.getRmsDecay() : 0;
        if (!(beta2 >= 0 && beta2 < 1)) {
            return (u instanceof RmsProp ? "rmsDecay " : "beta2 ") + beta2 + " (must be in [0, 1))";
        }
        if (!(l2 >= 0 && l2 < Double.POSITIVE_INFINITY)) {
            return "L2 coefficient " + l2;
        }
        if (!(wd >= 0 && wd < Double.POSITIVE_INFINITY)) {
            return "weight decay " + wd;
        }
        if (!Double.isNaN(lr) && !(Double.isFinite(lr * l2) && Double.isFinite(shrink))) {
            return "learning rate x regularisation = " + (Double.isFinite(lr * l2) ? shrink : lr * l2)
                    + " (lr " + lr + ", L2 " + l2 + ", weight decay " + wd + ")";
        }
        return null;
    }

    private static double momentumOf(IUpdater u) {
        if (u instanceof Sgd) {
            return 0;
        }
        if (u instanceof Nesterovs n) {
            return n.currentMomentum(0, 0);
        }
        if (u instanceof Adam a) {
            return a.getBeta1();
        }
        if (u instanceof AMSGrad a) {
            return a.getBeta1();
        }
        if (u instanceof Nadam a) {
            return a.getBeta1();
        }
        if (u instanceof AdaMax a) {
            return a.getBeta1();
        }
        if (u instanceof AdaBelief a) {
            return a.getBeta1();
        }
        if (u instanceof RmsProp) {
            return 0; // normalised steps without a first moment
        }
        return Double.NaN;
    }

    private static LayerForecast with(BnLayerRef ref, String feeding, String updater, double lr, double momentum,
                                      double l2, double wd, double radPerStep, double equilibriumIterations,
                                      String note) {
        double deg = Math.toDegrees(radPerStep);
        double d = ref.decay();
        boolean frozen = d >= 1;
        note = note + "; holds while the BN input's batch variance stays well above eps " + fmt(ref.eps())
                + " (ScaleInvariance)";
        return new LayerForecast(ref.name(), feeding, Regime.EQUILIBRIUM, updater, lr, momentum, l2, wd, d, deg,
                frozen ? Double.POSITIVE_INFINITY : EquilibriumRotation.randomWalkLag(deg, d),
                frozen ? Double.POSITIVE_INFINITY : EquilibriumRotation.driftLag(deg, d),
                deg > 0 ? EquilibriumRotation.largestDecay(deg, DRIFT_BUDGET_DEG) : 1, equilibriumIterations, note);
    }

    private static LayerForecast none(BnLayerRef ref, String feeding, String updater, double lr, double momentum,
                                      double l2, double wd, Regime regime, String note) {
        return new LayerForecast(ref.name(), feeding, regime, updater, lr, momentum, l2, wd, ref.decay(), Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, Double.NaN, note);
    }

    /**
     * @param forecasts forecasts of {@link #of}
     * @return a text table, one line per layer, then one line per distinct note; when no layer has
     *     an equilibrium (nothing to forecast), one sentence instead, with the reasons and how many
     *     layers each concerns
     */
    public static String table(List<LayerForecast> forecasts) {
        return table(forecasts, java.util.OptionalLong.empty());
    }

    /**
     * @param forecasts forecasts of {@link #of}
     * @param plannedIterations the planned training length, if known: where it is shorter than a
     *     layer's earliest equilibrium, the table says the equilibrium does not apply yet
     * @return a text table, one line per layer, then one line per distinct note, then what applies
     *     before the equilibrium
     */
    public static String table(List<LayerForecast> forecasts, java.util.OptionalLong plannedIterations) {
        StringBuilder b = new StringBuilder();
        if (!forecasts.isEmpty() && forecasts.stream().noneMatch(f -> f.regime() == Regime.EQUILIBRIUM)) {
            java.util.Map<String, Integer> byNote = new java.util.LinkedHashMap<>();
            forecasts.forEach(f -> byNote.merge(f.note(), 1, Integer::sum));
            List<String> reasons = new ArrayList<>();
            byNote.forEach((note, n) -> reasons.add(n + " of " + forecasts.size() + ": " + note));
            return b.append("lag forecast: none for the ").append(forecasts.size())
                    .append(" BN layer(s), as no feeding weights have a rotational equilibrium (")
                    .append(String.join("; ", reasons)).append(").\n").toString();
        }
        b.append("lag forecast (equilibrium rotation of the weights feeding each BN layer; Kosson et al."
                + " arXiv 2305.17212, Wan et al. arXiv 2006.08419):\n");
        b.append(String.format(Locale.ROOT, "  %-20s %-16s %-14s %10s %19s %12s %14s%n", "layer", "fed by", "regime",
                "deg/step", "lag deg (rw..drift)", "max decay 5d", "reached after"));
        List<String> notes = new ArrayList<>();
        for (LayerForecast f : forecasts) {
            if (!notes.contains(f.note())) {
                notes.add(f.note());
            }
            String lag = f.regime() == Regime.EQUILIBRIUM
                    ? String.format(Locale.ROOT, "%.3g..%.3g", f.randomWalkLagDeg(), f.driftLagDeg()) : "-";
            b.append(String.format(Locale.ROOT, "  %-20s %-16s %-14s %10s %19s %12s %14s  [%d]%n", f.layer(),
                    f.feedingLayer() == null ? "-" : f.feedingLayer(), f.regime(), num(f.rotationDegPerStep()), lag,
                    num(f.largestDecay()), f.regime() == Regime.EQUILIBRIUM
                            ? String.format(Locale.ROOT, "~%.0f it", f.equilibriumIterations()) : "-",
                    notes.indexOf(f.note()) + 1));
        }
        for (int i = 0; i < notes.size(); i++) {
            b.append("  [").append(i + 1).append("] ").append(notes.get(i)).append('\n');
        }
        double earliest = forecasts.stream().filter(f -> f.regime() == Regime.EQUILIBRIUM)
                .mapToDouble(LayerForecast::equilibriumIterations).max().orElse(Double.NaN);
        if (!Double.isNaN(earliest)) {
            double tau = earliest / TIME_CONSTANTS_TO_EQUILIBRIUM;
            b.append(String.format(Locale.ROOT, "  \"reached after\" counts %.0f time constants tau (here up to ~%.0f"
                    + " iterations) from weights near their equilibrium norm; weights k times too large in ||w||^4"
                    + " (SGD) or ||w||^2 (Adam) take tau ln k more. Before it the rotation is below the equilibrium"
                    + " value and rising (weights larger than the equilibrium norm) or above it and falling: the"
                    + " monitor's measured rotation gives the remaining time, tau (ln|(eq/measured)^2 - 1| + 3)%n",
                    TIME_CONSTANTS_TO_EQUILIBRIUM, tau));
            if (plannedIterations.isPresent() && plannedIterations.getAsLong() < earliest) {
                b.append(String.format(Locale.ROOT, "  not at equilibrium yet within the planned %d iterations"
                        + " (expected after ~%.0f iterations at the earliest): the forecast rotation and lag do not"
                        + " apply yet; measure the rotation with the monitor%n", plannedIterations.getAsLong(),
                        earliest));
            }
        }
        return b.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4g", v);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
