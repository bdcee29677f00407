package io.github.bndoctor.lint;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.lint.LagForecast.LayerForecast;
import io.github.bndoctor.lint.LagForecast.Regime;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The forecast table's rows and notes on hand-made forecasts (columns, dashes for what is not
 * known, note numbering shared by layers with the same note), and the forecast's remaining cases:
 * SGD with both L2 and decoupled decay, a frozen layer, and the note texts per regularisation.
 */
@Tag("unit")
class LagForecastTableTest {
    private static LayerForecast eq(String layer, String feeding, String note) {
        return new LayerForecast(layer, feeding, Regime.EQUILIBRIUM, "Adam", 1e-3, 0.9, 0, 0.95, 0.997, 0.5, 8.5, 166,
                0.9, 1579, note);
    }

    private static LayerForecast unknown(String layer, String note) {
        return new LayerForecast(layer, null, Regime.UNKNOWN, null, Double.NaN, Double.NaN, 0, 0, 0.99, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, Double.NaN, note);
    }

    @Test
    void rowsShowTheirColumnsAndNotesAreNumberedOnceEach() {
        String t = LagForecast.table(List.of(eq("bn1", "dense1", "note A"), unknown("bn2", "note B"),
                eq("bn3", "dense3", "note A")));
        List<String> lines = t.lines().toList();
        // title, header, three rows, two notes
        // the rows, the notes, then what applies before the equilibrium (tau = 1579 / 3 = 526)
        assertThat(lines).hasSize(8);
        assertThat(lines.get(7)).contains("3 time constants tau (here up to ~526 iterations)", "below the equilibrium"
                + " value and rising");
        assertThat(LagForecast.table(List.of(), java.util.OptionalLong.of(10)).lines()).hasSize(2);
        assertThat(lines.get(2).trim().split("\\s+")).containsExactly("bn1", "dense1", "EQUILIBRIUM", "0.5000",
                "8.50..166", "0.9000", "~1579", "it", "[1]");
        assertThat(lines.get(3).trim().split("\\s+")).containsExactly("bn2", "-", "UNKNOWN", "-", "-", "-", "-", "[2]");
        assertThat(lines.get(4).trim().split("\\s+")).endsWith("[1]");
        assertThat(lines.get(5)).isEqualTo("  [1] note A");
        assertThat(lines.get(6)).isEqualTo("  [2] note B");
        // a planned training shorter than the equilibrium: at 1578 iterations it is not reached, at 1580 it is
        String shortPlan = LagForecast.table(List.of(eq("bn1", "dense1", "note A"), unknown("bn2", "note B")), java.util.OptionalLong.of(1578));
        assertThat(shortPlan).contains("not at equilibrium yet within the planned 1578 iterations (expected after ~1579");
        assertThat(LagForecast.table(List.of(eq("bn1", "dense1", "note A"), unknown("bn2", "note B")), java.util.OptionalLong.of(1580))).doesNotContain("not at"
                + " equilibrium yet");
        assertThat(LagForecast.table(List.of())).hasLineCount(2);
    }

    @Test
    void withoutAnyEquilibriumTheForecastIsOneSentenceCountingEachReason() {
        String t = LagForecast.table(List.of(unknown("bn1", "note B"), unknown("bn2", "note C"), unknown("bn3", "note B")));
        assertThat(t).hasLineCount(1).isEqualTo("lag forecast: none for the 3 BN layer(s), as no feeding weights have a"
                + " rotational equilibrium (2 of 3: note B; 1 of 3: note C).\n");
        // one layer with an equilibrium brings the table back
        assertThat(LagForecast.table(List.of(unknown("bn1", "note B"), eq("bn2", "d2", "note A")))).hasLineCount(7);
    }

    private static LayerForecast only(IUpdater updater, double decay, List<Regularization> regs) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().updater(updater).list()
                .layer(new DenseLayer.Builder().nOut(6).hasBias(false).regularization(regs).build())
                .layer(new BatchNormalization.Builder().decay(decay).build())
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.feedForward(4)).build());
        net.init();
        List<LayerForecast> f = LagForecast.of(BnNetwork.of(net));
        assertThat(f).hasSize(1);
        return f.get(0);
    }

    @Test
    void sgdWithBothCoupledL2AndDecoupledDecayAddsTheirShrinks() {
        double lr = 0.095;
        double a = 0.9;
        LayerForecast f = only(new Nesterovs(lr, a), 0.99,
                List.of(new L2Regularization(1e-3), new WeightDecay(1e-4, true)));
        // closed form: sqrt(2 (eta l2 + eta wd (1-a)) / (1+a)); shrink per step eta l2/(1-a) + eta wd
        double rad = Math.sqrt(2 * (lr * 1e-3 + lr * 1e-4 * (1 - a)) / (1 + a));
        double s = lr * 1e-3 / (1 - a) + lr * 1e-4;
        // a few double roundings of values below 1e3
        assertThat(f.rotationDegPerStep()).isCloseTo(Math.toDegrees(rad), within(1e-12));
        assertThat(f.equilibriumIterations()).isCloseTo(3 / (4 * s), within(1e-9));
        assertThat(f.note()).startsWith("SGD momentum 0.900:");
    }

    @Test
    void aFrozenLayerHasAnInfiniteLagAndTheNotesNameTheRegularisation() {
        LayerForecast frozen = only(new Adam(1e-3), 1.0, List.of(new WeightDecay(0.95, true)));
        assertThat(frozen.regime()).isEqualTo(Regime.EQUILIBRIUM);
        assertThat(frozen.randomWalkLagDeg()).isInfinite();
        assertThat(frozen.driftLagDeg()).isInfinite();
        assertThat(frozen.rotationDegPerStep()).isPositive();
        LayerForecast moving = only(new Adam(1e-3), 0.99, List.of(new WeightDecay(0.95, true)));
        assertThat(moving.driftLagDeg()).isCloseTo(moving.rotationDegPerStep() * 99, within(1e-9));
        assertThat(moving.note()).isEqualTo("Adam beta1 0.900 with decoupled weight decay: sqrt(2 eta wd (1-b1) / (1+b1))"
                + "; holds while the BN input's batch variance stays well above eps 1.00e-05 (ScaleInvariance)");
        // no regularisation at all: nothing to name but the missing decay
        LayerForecast bare = only(new Adam(1e-3), 0.99, List.of());
        assertThat(bare.regime()).isEqualTo(Regime.NO_EQUILIBRIUM);
        assertThat(bare.note()).startsWith("Adam without weight decay").doesNotContain("coupled L2");
    }
}
