package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BnLayerRef;
import io.github.bndoctor.dl4j.BnNetwork;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Static checks of BN layers in a network configuration. Each rule names a DL4J 1.0.0-M2.1
 * behaviour verified in its sources.
 */
public final class ConfigLints {
    /**
     * DL4J applies the BN layer's gradient normalisation or clipping to the pseudo-gradients that
     * carry its moving-statistics updates, so the moving mean and variance no longer follow the EMA.
     */
    public static final String GRADIENT_NORMALIZATION = "gradient-normalization-on-bn";
    /**
     * With {@code lockGammaBeta}, DL4J applies the fixed gamma and beta only when
     * {@code gamma != 1 && beta != 0}; if exactly one of them has its default, the other is ignored.
     */
    public static final String LOCKED_GAMMA_BETA_IGNORED = "lock-gamma-beta-ignored";
    /**
     * Dropout on the BN input (DL4J applies a layer's dropout to its input, or a DropoutLayer right
     * before): training-mode batch statistics see dropped, rescaled inputs that inference never sees.
     */
    public static final String DROPOUT_BEFORE_BN = "dropout-before-bn";
    /** The EMA window {@code 1/(1-d)} is longer than the planned training: the initial prior never wears off. */
    public static final String WINDOW_LONGER_THAN_TRAINING = "ema-window-longer-than-training";

    /**
     * At the equilibrium rotation forecast by {@link LagForecast}, reached within the planned
     * training (or the plan is unknown), the EMA's drift lag exceeds {@value LagForecast#DRIFT_BUDGET_DEG}
     * degrees.
     */
    public static final String LAG_FORECAST = "ema-lag-forecast";

    /**
     * A value of the updater or regularisation of the weights feeding the layer lies outside its
     * domain (a negative learning rate, a momentum or beta of 1 or more, an infinite product):
     * training would misbehave, and no lag forecast is made.
     */
    public static final String CONFIGURATION_OUT_OF_DOMAIN = "configuration-out-of-domain";

    private ConfigLints() {
    }

    /**
     * @param net the network
     * @param plannedIterations planned training length, if known
     * @return findings, in layer order
     */
    public static List<Lint> check(BnNetwork net, OptionalLong plannedIterations) {
        List<Lint> out = new ArrayList<>();
        Map<String, LagForecast.LayerForecast> forecasts = new HashMap<>();
        LagForecast.of(net).forEach(f -> forecasts.put(f.layer(), f));
        for (BnLayerRef ref : net.bnLayers()) {
            BatchNormalization conf = (BatchNormalization) net.layer(ref).conf().getLayer();
            GradientNormalization gn = conf.getGradientNormalization();
            if (gn != null && gn != GradientNormalization.None) {
                out.add(new Lint(ref.name(), GRADIENT_NORMALIZATION, "gradient normalization " + gn
                        + " is applied to this BN layer's moving-statistics updates, which corrupts them;"
                        + " set GradientNormalization.None on BN layers"));
            }
            if (conf.isLockGammaBeta() && (conf.getGamma() == 1.0) != (conf.getBeta() == 0.0)) {
                out.add(new Lint(ref.name(), LOCKED_GAMMA_BETA_IGNORED, "lockGammaBeta with gamma=" + conf.getGamma()
                        + " beta=" + conf.getBeta() + ": DL4J only applies fixed values when gamma != 1 and beta != 0,"
                        + " so they are ignored (the output is the plain normalised input)"));
            }
            if (conf.getIDropout() != null || previousIsDropout(net, ref)) {
                out.add(new Lint(ref.name(), DROPOUT_BEFORE_BN, "dropout directly before BN: batch statistics in"
                        + " training see dropped and rescaled inputs that inference never sees"));
            }
            if (plannedIterations.isPresent() && ref.window() > plannedIterations.getAsLong()) {
                out.add(new Lint(ref.name(), WINDOW_LONGER_THAN_TRAINING, String.format(
                        "EMA window 1/(1-decay) = %.0f iterations exceeds the planned %d: the initial mean 0 /"
                                + " variance 1 keeps weight %.2f at the end; lower decay or warm-start",
                        ref.window(), plannedIterations.getAsLong(),
                        Math.pow(ref.decay(), plannedIterations.getAsLong()))));
            }
            LagForecast.LayerForecast f = forecasts.get(ref.name());
            if (f.note().startsWith(LagForecast.OUT_OF_DOMAIN)) {
                out.add(new Lint(ref.name(), CONFIGURATION_OUT_OF_DOMAIN, f.note()));
            }
            if (f.regime() == LagForecast.Regime.EQUILIBRIUM && f.driftLagDeg() > LagForecast.DRIFT_BUDGET_DEG
                    && (plannedIterations.isEmpty() || plannedIterations.getAsLong() >= f.equilibriumIterations())) {
                out.add(new Lint(ref.name(), LAG_FORECAST, String.format(Locale.ROOT,
                        "the weights feeding this layer settle at %.3g deg/step (after ~%.0f iterations): EMA lag"
                                + " %.3g-%.3g deg at decay %s; decay <= %.4g keeps the drift bound under %.0f deg",
                        f.rotationDegPerStep(), f.equilibriumIterations(), f.randomWalkLagDeg(), f.driftLagDeg(),
                        ref.decay(), f.largestDecay(), LagForecast.DRIFT_BUDGET_DEG)));
            }
        }
        return out;
    }

    private static boolean previousIsDropout(BnNetwork net, BnLayerRef ref) {
        Layer previous = null;
        if (net.model() instanceof MultiLayerNetwork mln) {
            previous = ref.index() > 0 ? mln.getLayer(ref.index() - 1) : null;
        } else if (net.model() instanceof ComputationGraph g) {
            List<String> inputs = g.getConfiguration().getVertexInputs().get(ref.name());
            GraphVertex v = inputs != null && inputs.size() == 1 ? g.getVertex(inputs.get(0)) : null;
            previous = v != null && v.hasLayer() ? v.getLayer() : null;
        }
        if (previous == null) {
            return false;
        }
        // a layer's own dropout applies to its input; only a DropoutLayer's output is dropped
        return previous.conf().getLayer() instanceof DropoutLayer;
    }
}
