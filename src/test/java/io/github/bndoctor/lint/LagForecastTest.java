package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.lint.LagForecast.LayerForecast;
import io.github.bndoctor.lint.LagForecast.Regime;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaBelief;
import org.nd4j.linalg.learning.config.AdaGrad;
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

import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Forecasts read from real DL4J configurations, against hand-computed values. Every equilibrium
 * case is set up so that the radicand is exactly 1e-4: 0.01 rad = 0.5729577951308232 degrees per step.
 */
@Tag("unit")
class LagForecastTest {
    static final double DEG = Math.toDegrees(0.01);
    /** a few double roundings of values below 100 */
    static final double TOL = 1e-9;

    static BnNetwork mln(IUpdater updater, double decay, Consumer<DenseLayer.Builder> reg) {
        DenseLayer.Builder dense = new DenseLayer.Builder().nOut(6).hasBias(false);
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().updater(updater).list()
                .layer(configured(dense, reg).build())
                .layer(new BatchNormalization.Builder().decay(decay).build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(4)).build());
        net.init();
        return BnNetwork.of(net);
    }

    private static DenseLayer.Builder configured(DenseLayer.Builder b, Consumer<DenseLayer.Builder> reg) {
        reg.accept(b);
        return b;
    }

    static LayerForecast only(BnNetwork net) {
        List<LayerForecast> f = LagForecast.of(net);
        assertThat(f).hasSize(1);
        return f.get(0);
    }

    @Test
    void aNamedFeedingLayerIsShownByItsNameNotItsIndex() {
        LayerForecast f = only(mln(new Nesterovs(0.095, 0.9), 0.99, b -> b.l2(1e-3).name("conv1")));
        assertThat(f.feedingLayer()).isEqualTo("conv1");
        assertThat(LagForecast.table(List.of(f))).contains(" conv1 ");
    }

    @Test
    void nesterovWithCoupledL2() {
        // sqrt(2 x 0.095 x 1e-3 / 1.9) = 0.01 rad
        LayerForecast f = only(mln(new Nesterovs(0.095, 0.9), 0.99, b -> b.l2(1e-3)));
        assertThat(f.regime()).isEqualTo(Regime.EQUILIBRIUM);
        assertThat(f.feedingLayer()).isEqualTo("layer0"); // DL4J's name for an unnamed MultiLayerNetwork layer
        assertThat(f.updater()).isEqualTo("Nesterovs");
        assertThat(f.learningRate()).isCloseTo(0.095, within(1e-15));
        assertThat(f.momentum()).isCloseTo(0.9, within(1e-15));
        assertThat(f.rotationDegPerStep()).isCloseTo(DEG, within(TOL));
        assertThat(f.driftLagDeg()).isCloseTo(DEG * 99, within(TOL)); // d/(1-d) = 99
        assertThat(f.randomWalkLagDeg()).isCloseTo(DEG * 9.9498743710662, within(TOL)); // sqrt(99)
        assertThat(f.largestDecay()).isCloseTo(5 / (5 + 0.5729577951308232), within(TOL));
        // shrink eta l2 / (1-a) = 9.5e-4 per step; SGD time constant 1/(4 s); three of them = 789.47
        assertThat(f.equilibriumIterations()).isCloseTo(3 / (4 * 9.5e-4), within(1e-6));
    }

    @Test
    void adamWithDecoupledWeightDecay() {
        // DL4J's weightDecay applies the learning rate: shrink 1e-3 x 0.95 = 9.5e-4; sqrt(2 x 9.5e-4 x 0.1 / 1.9)
        LayerForecast f = only(mln(new Adam(1e-3), 0.997, b -> b.weightDecay(0.95)));
        assertThat(f.regime()).isEqualTo(Regime.EQUILIBRIUM);
        assertThat(f.rotationDegPerStep()).isCloseTo(DEG, within(TOL));
        assertThat(f.driftLagDeg()).isCloseTo(DEG * 0.997 / 0.003, within(1e-7));
        // Adam time constant 1/(2 s); three of them = 1578.9
        assertThat(f.equilibriumIterations()).isCloseTo(3 / (2 * 9.5e-4), within(1e-6));
        // the builder's l2() drops a weight decay set before it; a regularisation list keeps both
        List<Regularization> both2 = List.of(new L2Regularization(1e-3), new WeightDecay(0.95, true));
        LayerForecast both = only(mln(new Adam(1e-3), 0.997, b -> b.regularization(both2)));
        assertThat(both.rotationDegPerStep()).isCloseTo(DEG, within(TOL));
        assertThat(both.note()).contains("coupled L2 also set is not included");
    }

    @Test
    void sgdWithDecayNotScaledByTheLearningRate() {
        // WeightDecay(5e-5, applyLR=false): shrink 5e-5 per step; no momentum: sqrt(2 x 5e-5) = 0.01
        List<Regularization> wd = List.of(new WeightDecay(5e-5, false));
        LayerForecast f = only(mln(new Sgd(0.3), 0.9, b -> b.regularization(wd)));
        assertThat(f.rotationDegPerStep()).isCloseTo(DEG, within(TOL));
        assertThat(f.weightDecay()).isCloseTo(5e-5, within(1e-20));
    }

    @Test
    void noEquilibriumOrNoForecast() {
        LayerForecast adamL2 = only(mln(new Adam(1e-3), 0.997, b -> b.l2(1e-3)));
        assertThat(adamL2.regime()).isEqualTo(Regime.NO_EQUILIBRIUM);
        assertThat(adamL2.note()).contains("coupled L2").contains("monitor");
        assertThat(adamL2.rotationDegPerStep()).isNaN();
        assertThat(only(mln(new Sgd(0.1), 0.9, b -> { })).regime()).isEqualTo(Regime.NO_EQUILIBRIUM);
        assertThat(only(mln(new Adam(1e-3), 0.9, b -> { })).regime()).isEqualTo(Regime.NO_EQUILIBRIUM);
        assertThat(only(mln(new AdaGrad(0.1), 0.9, b -> b.weightDecay(1e-2))).regime()).isEqualTo(Regime.UNKNOWN);
    }

    @Test
    void graphWithAMergedInputHasNoForecastForThatLayer() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().updater(new Adam(1e-3))
                .graphBuilder().addInputs("in")
                .addLayer("d1", new DenseLayer.Builder().nOut(4).hasBias(false).weightDecay(0.95).build(), "in")
                .addLayer("bn1", new BatchNormalization.Builder().decay(0.99).build(), "d1")
                .addLayer("d2", new DenseLayer.Builder().nOut(4).hasBias(false).build(), "in")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn1", "d2")
                .addLayer("bn2", new BatchNormalization.Builder().decay(0.99).build(), "add")
                .addLayer("out", new OutputLayer.Builder().nOut(2).build(), "bn2")
                .setOutputs("out").setInputTypes(InputType.feedForward(4)).build());
        g.init();
        List<LayerForecast> f = LagForecast.of(BnNetwork.of(g));
        assertThat(f).extracting(LayerForecast::layer).containsExactly("bn1", "bn2");
        assertThat(f.get(0).feedingLayer()).isEqualTo("d1");
        assertThat(f.get(0).rotationDegPerStep()).isCloseTo(DEG, within(TOL));
        assertThat(f.get(1).regime()).isEqualTo(Regime.UNKNOWN);
        assertThat(LagForecast.table(f)).contains("bn1").contains("bn2").contains("0.573").contains("2305.17212");
    }

    @Test
    void lintFiresWhenTheDriftBoundExceedsTheBudgetWithinThePlan() {
        // Nesterov above: 0.573 deg/step, drift 56.7 deg at 0.99, equilibrium after ~789 iterations
        BnNetwork net = mln(new Nesterovs(0.095, 0.9), 0.99, b -> b.l2(1e-3));
        assertThat(rules(net, OptionalLong.empty())).containsExactly(ConfigLints.LAG_FORECAST);
        assertThat(rules(net, OptionalLong.of(790))).containsExactly(ConfigLints.LAG_FORECAST);
        assertThat(rules(net, OptionalLong.of(789))).as("equilibrium not reached in the plan").isEmpty();
        // decay 0.89 < 5/(5+0.573) = 0.897: drift 0.573 x 8.09 = 4.64 deg, within the budget; 0.9 gives 5.16
        assertThat(rules(mln(new Nesterovs(0.095, 0.9), 0.89, b -> b.l2(1e-3)), OptionalLong.empty())).isEmpty();
        assertThat(rules(mln(new Nesterovs(0.095, 0.9), 0.9, b -> b.l2(1e-3)), OptionalLong.empty()))
                .containsExactly(ConfigLints.LAG_FORECAST);
    }

    @Test
    void everyAdamFamilyUpdaterContributesItsOwnBeta1() {
        // each beta1 differs from the others and from DL4J's default 0.9, so a swapped or defaulted read fails
        IUpdater[] updaters = {new AMSGrad(1e-3, 0.81, 0.999, 1e-8), new Nadam(1e-3, 0.82, 0.999, 1e-8),
                new AdaMax(1e-3, 0.83, 0.999, 1e-8), new AdaBelief(1e-3, 0.84, 0.999, 1e-8)};
        double[] beta1 = {0.81, 0.82, 0.83, 0.84};
        for (int i = 0; i < updaters.length; i++) {
            // decoupled shrink 1e-4 per step: the Adam equilibrium sqrt(2 x 1e-4 x (1-b1)/(1+b1)) rad
            LayerForecast f = only(mln(updaters[i], 0.997, b -> b.weightDecay(1e-4, false)));
            double b1 = beta1[i];
            assertThat(f.momentum()).as(f.updater()).isEqualTo(b1);
            assertThat(f.regime()).isEqualTo(Regime.EQUILIBRIUM);
            assertThat(f.rotationDegPerStep()).as(f.updater())
                    .isCloseTo(Math.toDegrees(Math.sqrt(2e-4 * (1 - b1) / (1 + b1))), within(TOL));
        }
        // RMSProp normalises steps without a first moment: momentum 0, sqrt(2 x 1e-4) = 0.01414 rad
        LayerForecast rms = only(mln(new RmsProp(1e-3), 0.997, b -> b.weightDecay(1e-4, false)));
        assertThat(rms.momentum()).isZero();
        assertThat(rms.rotationDegPerStep()).isCloseTo(Math.toDegrees(Math.sqrt(2e-4)), within(TOL));
    }

    @Test
    void valuesOutsideTheirDomainGiveNoForecastAndALintNeverAnException() {
        // at and beyond each boundary: beta1 and momentum in [0, 1), rates and coefficients >= 0 and finite
        List<BnNetwork> outside = List.of(
                mln(new Adam(1e-3, 1.0, 0.999, 1e-8), 0.997, b -> b.weightDecay(1e-4, false)),
                mln(new Adam(1e-3, -0.5, 0.999, 1e-8), 0.997, b -> b.weightDecay(1e-4, false)),
                mln(new Adam(1e-3, 0.9, 1.0, 1e-8), 0.997, b -> b.weightDecay(1e-4, false)),
                mln(new Adam(-1e-3), 0.997, b -> b.weightDecay(1e-4, false)),
                // the builder drops a negative coefficient; a configuration.json can still hold one
                mln(new Adam(1e-3), 0.997, b -> b.regularization(List.of(
                        new org.nd4j.linalg.learning.regularization.WeightDecay(-1e-4, false)))),
                mln(new Nesterovs(0.1, 1.0), 0.997, b -> b.l2(1e-4)),
                mln(new Sgd(1e300), 0.997, b -> b.l2(1e300)));
        for (BnNetwork net : outside) {
            LayerForecast f = only(net);
            assertThat(f.regime()).as(f.note()).isEqualTo(Regime.UNKNOWN);
            assertThat(f.note()).startsWith(LagForecast.OUT_OF_DOMAIN);
            assertThat(rules(net, OptionalLong.empty())).contains(ConfigLints.CONFIGURATION_OUT_OF_DOMAIN);
            assertThat(LagForecast.table(List.of(f))).contains(LagForecast.OUT_OF_DOMAIN);
        }
        // just inside: beta1 0 and momentum 0.999 still forecast
        assertThat(only(mln(new Adam(1e-3, 0.0, 0.999, 1e-8), 0.997, b -> b.weightDecay(1e-4, false))).regime())
                .isEqualTo(Regime.EQUILIBRIUM);
        BnNetwork inside = mln(new Nesterovs(0.1, 0.999), 0.997, b -> b.l2(1e-4));
        assertThat(only(inside).regime()).isEqualTo(Regime.EQUILIBRIUM);
        assertThat(rules(inside, OptionalLong.empty())).doesNotContain(ConfigLints.CONFIGURATION_OUT_OF_DOMAIN);
    }

    private static List<String> rules(BnNetwork net, OptionalLong planned) {
        return ConfigLints.check(net, planned).stream().map(Lint::rule).toList();
    }
}
