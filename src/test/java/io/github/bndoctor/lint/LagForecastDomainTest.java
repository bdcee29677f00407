package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.lint.LagForecast.LayerForecast;
import io.github.bndoctor.lint.LagForecast.Regime;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaBelief;
import org.nd4j.linalg.learning.config.AdaDelta;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.AdaMax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nadam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.List;
import java.util.OptionalLong;

import static io.github.bndoctor.lint.LagForecastTest.mln;
import static io.github.bndoctor.lint.LagForecastTest.only;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Which configuration value lies outside its domain, named in the note (each boundary at and
 * beyond, and just inside), the notes of updaters without a known equilibrium, configurations
 * missing an updater or a regularisation list or a layer, and the per-layer time constant and
 * remaining iterations against the closed form {@code tau (ln|(eq/measured)^2 - 1| + 3)}.
 */
@Tag("unit")
class LagForecastDomainTest {
    /** decoupled shrink 1e-4 per step whatever the learning rate (applyLR false) */
    private static BnNetwork decoupled(IUpdater u) {
        return mln(u, 0.997, b -> b.weightDecay(1e-4, false));
    }

    private static String outside(String what) {
        return LagForecast.OUT_OF_DOMAIN + ": " + what + " on the weights of layer0: no forecast";
    }

    private static String noteOf(BnNetwork net) {
        LayerForecast f = only(net);
        assertThat(f.regime()).as(f.note()).isEqualTo(Regime.UNKNOWN);
        return f.note();
    }

    @Test
    void theLearningRateMustBeFiniteAndNonNegative() {
        assertThat(noteOf(decoupled(new Adam(-1e-3)))).isEqualTo(outside("learning rate -0.001"));
        assertThat(noteOf(decoupled(new Adam(Double.NaN)))).isEqualTo(outside("learning rate NaN"));
        // an infinite rate with a shrink not scaled by it would otherwise forecast an equilibrium
        assertThat(noteOf(decoupled(new Adam(Double.POSITIVE_INFINITY)))).isEqualTo(outside("learning rate Infinity"));
        // at the boundary 0: the shrink 1e-4 alone sets sqrt(2 x 1e-4 x 0.1 / 1.9) rad; a few roundings below 1
        LayerForecast zero = only(decoupled(new Adam(0.0)));
        assertThat(zero.regime()).isEqualTo(Regime.EQUILIBRIUM);
        assertThat(zero.rotationDegPerStep()).isCloseTo(Math.toDegrees(Math.sqrt(2e-5 / 1.9)), within(1e-12));
    }

    @Test
    void momentumAndFirstMomentDecayAreNamedByTheirUpdater() {
        assertThat(noteOf(decoupled(new Adam(1e-3, 1.0, 0.999, 1e-8))))
                .isEqualTo(outside("beta1 1.0 (must be in [0, 1))"));
        assertThat(noteOf(decoupled(new Adam(1e-3, -0.5, 0.999, 1e-8))))
                .isEqualTo(outside("beta1 -0.5 (must be in [0, 1))"));
        assertThat(noteOf(mln(new Nesterovs(0.1, 1.0), 0.997, b -> b.l2(1e-4))))
                .isEqualTo(outside("momentum 1.0 (must be in [0, 1))"));
    }

    @Test
    void everySecondMomentDecayIsCheckedAndNamed() {
        // the forecast itself does not use beta2: only the domain check keeps these from an equilibrium
        IUpdater[] beta2AtOne = {new Adam(1e-3, 0.9, 1.0, 1e-8), new AMSGrad(1e-3, 0.9, 1.0, 1e-8),
                new Nadam(1e-3, 0.9, 1.0, 1e-8), new AdaMax(1e-3, 0.9, 1.0, 1e-8), new AdaBelief(1e-3, 0.9, 1.0, 1e-8)};
        for (IUpdater u : beta2AtOne) {
            assertThat(noteOf(decoupled(u))).as(u.getClass().getSimpleName())
                    .isEqualTo(outside("beta2 1.0 (must be in [0, 1))"));
        }
        assertThat(noteOf(decoupled(new RmsProp(1e-3, 1.0, 1e-8)))).isEqualTo(outside("rmsDecay 1.0 (must be in [0, 1))"));
        assertThat(noteOf(decoupled(new Adam(1e-3, 0.9, -0.1, 1e-8)))).isEqualTo(outside("beta2 -0.1 (must be in [0, 1))"));
        // just inside: beta2 0 and rmsDecay 0 still forecast
        assertThat(only(decoupled(new Adam(1e-3, 0.9, 0.0, 1e-8))).regime()).isEqualTo(Regime.EQUILIBRIUM);
        assertThat(only(decoupled(new RmsProp(1e-3, 0.0, 1e-8))).regime()).isEqualTo(Regime.EQUILIBRIUM);
    }

    @Test
    void coefficientsMustBeFiniteAndNonNegative() {
        assertThat(noteOf(mln(new Adam(1e-3), 0.997, b -> b.regularization(List.of(new L2Regularization(-1e-4))))))
                .isEqualTo(outside("L2 coefficient -1.0E-4"));
        assertThat(noteOf(mln(new Sgd(0.1), 0.997, b -> b.regularization(List.of(
                new L2Regularization(Double.POSITIVE_INFINITY)))))).isEqualTo(outside("L2 coefficient Infinity"));
        assertThat(noteOf(mln(new Adam(1e-3), 0.997, b -> b.regularization(List.of(new WeightDecay(-1e-4, false))))))
                .isEqualTo(outside("weight decay -1.0E-4"));
        assertThat(noteOf(mln(new Adam(1e-3), 0.997, b -> b.regularization(List.of(
                new WeightDecay(Double.POSITIVE_INFINITY, false)))))).isEqualTo(outside("weight decay Infinity"));
    }

    @Test
    void productsOfFiniteValuesMustStayFinite() {
        // 1e300 x 1e300 overflows to infinity in either product; the note names the one that overflowed
        assertThat(noteOf(mln(new Sgd(1e300), 0.997, b -> b.l2(1e300)))).isEqualTo(outside(
                "learning rate x regularisation = Infinity (lr 1.0E300, L2 1.0E300, weight decay 0.0)"));
        assertThat(noteOf(mln(new Adam(1e300), 0.997, b -> b.regularization(List.of(new WeightDecay(1e300, true))))))
                .isEqualTo(outside("learning rate x regularisation = Infinity (lr 1.0E300, L2 0.0, weight decay 1.0E300)"));
    }

    @Test
    void updatersWithoutAKnownEquilibriumSaySo() {
        // AdaDelta has no learning rate at all, AdaGrad no first moment
        assertThat(noteOf(mln(new AdaDelta(), 0.997, b -> b.l2(1e-4)))).isEqualTo("updater AdaDelta has no known"
                + " rotational equilibrium: measure the rotation with the monitor");
        assertThat(noteOf(mln(new AdaGrad(0.1), 0.997, b -> b.weightDecay(1e-2)))).isEqualTo("updater AdaGrad has no"
                + " known rotational equilibrium: measure the rotation with the monitor");
    }

    @Test
    void aZeroLearningRateUnderCoupledL2RotatesByZeroAndNeedsNoDecayLimit() {
        // sqrt(2 x 0 x l2) = 0: no drift at any decay, so every decay below 1 keeps the budget
        LayerForecast f = only(mln(new Sgd(0.0), 0.99, b -> b.l2(1e-3)));
        assertThat(f.regime()).isEqualTo(Regime.EQUILIBRIUM);
        assertThat(f.rotationDegPerStep()).isZero();
        assertThat(f.driftLagDeg()).isZero();
        assertThat(f.largestDecay()).isEqualTo(1.0);
        assertThat(f.equilibriumIterations()).isInfinite(); // shrink 0: 3 / (4 x 0)
    }

    private static MultiLayerNetwork plain() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nOut(6).hasBias(false).l2(1e-3).build())
                .layer(new BatchNormalization.Builder().decay(0.99).build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(4)).build());
        net.init();
        return net;
    }

    @Test
    void aConfigurationMissingItsUpdaterOrRegularisationOrLayerGivesNoForecastNeverAnException() {
        // as a hand-edited configuration can be: the fields a builder always fills, cleared
        MultiLayerNetwork noUpdater = plain();
        ((BaseLayer) noUpdater.getLayer(0).conf().getLayer()).setIUpdater(null);
        LayerForecast u = only(BnNetwork.of(noUpdater));
        assertThat(u.regime()).isEqualTo(Regime.UNKNOWN);
        assertThat(u.updater()).isNull();
        assertThat(u.note()).startsWith("updater null has no known rotational equilibrium");

        // no regularisation list: no L2 and no decay, so no equilibrium for SGD
        MultiLayerNetwork noRegs = plain();
        ((BaseLayer) noRegs.getLayer(0).conf().getLayer()).setRegularization(null);
        LayerForecast r = only(BnNetwork.of(noRegs));
        assertThat(r.regime()).isEqualTo(Regime.NO_EQUILIBRIUM);
        assertThat(r.l2()).isZero();

        MultiLayerNetwork noLayer = plain();
        noLayer.getLayer(0).conf().setLayer(null);
        LayerForecast l = only(BnNetwork.of(noLayer));
        assertThat(l.regime()).isEqualTo(Regime.UNKNOWN);
        assertThat(l.note()).startsWith("no single feeding weight matrix");
    }

    private static LayerForecast layer(Regime regime, double degPerStep, double equilibriumIterations) {
        return new LayerForecast("bn1", "dense1", regime, "Adam", 1e-3, 0.9, 0, 0.95, 0.997, degPerStep, 1, 2, 0.9,
                equilibriumIterations, "note");
    }

    @Test
    void theTimeConstantIsAThirdOfTheIterationsToEquilibriumAndGivesTheRemainingIterations() {
        LayerForecast f = layer(Regime.EQUILIBRIUM, 0.5, 300);
        assertThat(f.timeConstantIterations()).isEqualTo(100.0); // 300 / 3, exact in binary
        // measured half the equilibrium: (0.5/0.25)^2 - 1 = 3, tau (ln 3 + 3); a few roundings of values near 400
        assertThat(f.remainingIterations(0.25)).isCloseTo(100 * (Math.log(3) + 3), within(1e-9));
        // measured at the equilibrium: excess 0, nothing to go
        assertThat(f.remainingIterations(0.5)).isZero();
    }

    @Test
    void remainingIterationsNeedAnEquilibriumWithAPositiveRotation() {
        for (LayerForecast f : List.of(layer(Regime.NO_EQUILIBRIUM, 0.5, 300), layer(Regime.UNKNOWN, 0.5, 300),
                layer(Regime.EQUILIBRIUM, 0.0, 300), layer(Regime.EQUILIBRIUM, Double.NaN, 300))) {
            assertThatThrownBy(() -> f.remainingIterations(0.25)).as(f.regime() + " " + f.rotationDegPerStep())
                    .isExactlyInstanceOf(IllegalStateException.class).hasMessageContaining("'bn1'");
        }
        // just above 0 the closed form applies: (1e-300/0.25)^2 underflows to 0, excess 1, tau (0 + 3)
        assertThat(layer(Regime.EQUILIBRIUM, 1e-300, 300).remainingIterations(0.25)).isCloseTo(300, within(1e-9));
    }

    @Test
    void aPlanExactlyAsLongAsTheEquilibriumReachesIt() {
        LayerForecast f = layer(Regime.EQUILIBRIUM, 0.5, 300);
        assertThat(LagForecast.table(List.of(f), OptionalLong.of(300))).doesNotContain("not at equilibrium yet");
        assertThat(LagForecast.table(List.of(f), OptionalLong.of(299))).contains("not at equilibrium yet within the"
                + " planned 299 iterations");
    }
}
