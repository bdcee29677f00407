package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.Verdict;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failed gate is an assertion failure whose message carries everything needed to act: layer,
 * iteration and why a checkpoint ran there, the metric against its threshold, eval/train,
 * eval/precise, the verdict and the remedy, every number with three significant digits.
 * Expected figures are worked out by hand from the losses given.
 */
@Tag("unit")
class BnGateFailureTest {
    private static LayerCheckpoint layer(String name, double emaError) {
        // rotation 0.2 deg/iteration at decay 0.997
        return new LayerCheckpoint(new LayerDecomposition(name, 764, 0.1, emaError, 0, emaError, 0.01, 0.3, 0.1),
                0.2, 0.2 * 0.997 / 0.003, Double.NaN, 0.997);
    }

    private static Checkpoint lagging() {
        // losses 0.1 (train), 0.6466 (eval), 0.11 (precise): eval/train 6.466, eval/precise 5.878..., precise/train 1.1
        return new Checkpoint(764, new OutputGap(0.1, 0.6466, 0.11), List.of(layer("bn1", 0.4), layer("bn2", 0.9)),
                Verdict.EMA_LAG);
    }

    @Test
    void theMessageNamesLayerIterationWhyGapVerdictAndRemedyWithFormattedNumbers() {
        Checkpoint c = lagging();
        Alarm a = new Alarm(764, "bn2", AlarmPolicy.EVAL_PRECISE_RATIO, 0.6466 / 0.11, 5, AlarmLevel.FAIL);
        BnGateFailure f = new BnGateFailure(a, c, "a confirmation checkpoint: the free lag signal read 0.612 > 0.500 there; "
                + "scheduled checkpoints every 200 iterations");

        assertThat(f).isInstanceOf(AssertionFailedError.class);
        assertThat(f.getMessage())
                .startsWith("bn-doctor gate FAILED at iteration 764 (a confirmation checkpoint: the free lag signal read 0.612 "
                        + "> 0.500 there; scheduled checkpoints every 200 iterations): layer 'bn2' evalPreciseRatio = 5.88 > 5.00; ")
                .contains("eval/train 6.47, eval/precise 5.88, precise/train 1.10; verdict EMA_LAG; remedy: ")
                // precise loss 0.11 vs moving 0.6466, at the recommendation's four digits
                .contains("precise statistics gave loss 0.1100 vs 0.6466")
                // largest decay within 5 degrees at 0.2 deg/iteration: 5 / (5 + 0.2) = 0.961538...
                .contains("Use decay <= 0.9615")
                // 0.2 x 0.997 / 0.003 = 66.47 degrees
                .contains("predicts a 66.5 deg lag")
                .doesNotContainPattern("\\d\\.\\d{6,}");
        assertThat(f.isExpectedDefined()).isTrue();
        assertThat(f.getExpected().getValue()).isEqualTo("evalPreciseRatio <= 5.00");
        assertThat(f.getActual().getValue()).isEqualTo("evalPreciseRatio = 5.88");
    }

    @Test
    void numbersHaveThreeSignificantDigitsAndUnknownsSaySo() {
        assertThat(GapMessage.number(-0.1546810963552967)).isEqualTo("-0.155");
        assertThat(GapMessage.number(1.546810963552967E-4)).isEqualTo("0.000155");
        assertThat(GapMessage.number(6.466)).isEqualTo("6.47");
        assertThat(GapMessage.number(1234.5)).isEqualTo("1.23e+03");
        assertThat(GapMessage.number(Double.NaN)).isEqualTo("n/a");
        // just over a bound: as many digits as it takes to tell them apart, alike for both
        assertThat(GapMessage.apart(8.5600, 8.5608)).containsExactly("8.560", "8.561");
        assertThat(GapMessage.apart(1.5, 6.466)).containsExactly("1.50", "6.47");
        assertThat(GapMessage.apart(2, 2)).containsExactly("2.00", "2.00");
        // 0.1 + 0.2 and 0.3 differ in the 17th significant digit only: up to 16 digits they print alike, so
        // both are written in full (Java's shortest round-trip form) rather than at 17 digits
        assertThat(GapMessage.apart(0.1 + 0.2, 0.3)).containsExactly("0.30000000000000004", "0.3");
        // an unknown value is "n/a" beside a known one
        assertThat(GapMessage.apart(Double.NaN, 1)).containsExactly("n/a", "1.00");
    }

    @Test
    void theWorstLayerAndTheDecayComeFromTheCheckpoint() {
        assertThat(GapMessage.worstLayer(lagging())).isEqualTo("bn2");
        assertThat(GapMessage.medianDecay(lagging())).isEqualTo(0.997);
        Checkpoint none = new Checkpoint(1, new OutputGap(1, 1, 1), List.of(), Verdict.HEALTHY);
        assertThat(GapMessage.worstLayer(none)).isEqualTo("*");
        assertThat(GapMessage.medianDecay(none)).isNaN();
        // a layer whose decay is unknown is left out of the median, not counted as NaN
        LayerDecomposition d = new LayerDecomposition("bn", 1, 0, 0.1, 0, 0.1, 0.1, 0, 0);
        Checkpoint partly = new Checkpoint(1, new OutputGap(1, 1, 1), List.of(
                new LayerCheckpoint(d, 0.1, 1, Double.NaN, Double.NaN), new LayerCheckpoint(d, 0.1, 1, Double.NaN, 0.9)),
                Verdict.HEALTHY);
        assertThat(GapMessage.medianDecay(partly)).isEqualTo(0.9);
    }
}
