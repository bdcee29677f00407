package io.github.bndoctor.report;

import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The edges of the outcome's headline and of the next commands: a FAIL gate with a passing verdict
 * names the alarm, undefined ratios read "n/a", a warm-up asks for twice the iterations, layers with
 * no or zero rotation do not enter the median, and a scenario short of a setting gets no command.
 */
@Tag("unit")
class OutcomeAndCommandsEdgesTest {
    private static CheckpointEntry cp(String verdict, Double train, Double eval, Double precise, Double ratio,
                                      Double... rotations) {
        List<LayerEntry> layers = Arrays.stream(rotations)
                .map(r -> new LayerEntry("bn", 1.0, 0.1, r, null, null, 1.0, 0.0, 0.997)).toList();
        return new CheckpointEntry(10, train, eval, precise, 1.0, ratio, eval, null, null, 1.0, 1.0, 1.0, verdict, layers);
    }

    private static DiagnosisReport report(String verdict, String gate, Map<String, Object> config, CheckpointEntry... cps) {
        return new DiagnosisReport(3, verdict, gate, DiagnosisReport.LOSS_LABELS, config, List.of(cps), List.of(),
                List.of(), List.of(), List.of());
    }

    private static Map<String, Object> scenario(Object lr) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("optimizer", "adam");
        c.put("learningRate", lr);
        c.put("bnDecay", 0.997);
        return c;
    }

    private static List<String> commands(DiagnosisReport r) {
        return NextCommands.of(r).stream().map(NextCommands.Command::command).toList();
    }

    @Test
    void aSingleRunsHeadlineSaysWhatDecidedTheGate() {
        CheckpointEntry healthy = cp("HEALTHY", 1.0, 1.0, 1.0, 1.0);
        Outcome pass = Outcome.of(report("HEALTHY", "PASS", Map.of(), healthy));
        assertThat(pass).isEqualTo(new Outcome(true, false, "PASS: verdict HEALTHY passes the gate"));
        // a passing verdict under a FAIL gate: an alarm decided it
        assertThat(Outcome.of(report("HEALTHY", "FAIL", Map.of(), healthy)))
                .isEqualTo(new Outcome(false, false, "FAIL: verdict HEALTHY with a FAIL alarm fails the gate"));
        assertThat(Outcome.of(report("BATCH_NOISE", "FAIL", Map.of(), healthy)).headline())
                .isEqualTo("FAIL: verdict BATCH_NOISE fails the gate");
    }

    @Test
    void theWorstCheckpointIsTheOneWithTheLargestRatio() {
        CheckpointEntry a = cp("HEALTHY", 1.0, 1.2, 1.0, 1.2);
        CheckpointEntry b = cp("EMA_LAG", 1.0, 4.0, 1.0, 4.0);
        CheckpointEntry c = cp("EMA_LAG", 1.0, 2.0, 1.0, 2.0);
        assertThat(Outcome.worst(new RunSummary("r", "EMA_LAG", "FAIL", Map.of(), List.of(a, b, c), List.of(), List.of())))
                .isSameAs(b);
    }

    @Test
    void ratiosThatAreNotDefinedReadNotAvailable() {
        // precise loss 0: eval/precise undefined, not infinite; just above 0 it is defined (2 / 0.5 = 4)
        assertThat(Outcome.keyRatios(cp("EMA_LAG", 1.0, 2.0, 0.0, 2.0))).isEqualTo("eval/train 2.00, eval/precise n/a");
        assertThat(Outcome.keyRatios(cp("EMA_LAG", 1.0, 2.0, -1.0, 2.0))).isEqualTo("eval/train 2.00, eval/precise n/a");
        assertThat(Outcome.keyRatios(cp("EMA_LAG", 1.0, 2.0, 0.5, 2.0))).isEqualTo("eval/train 2.00, eval/precise 4.00");
        assertThat(Outcome.keyRatios(cp("DIVERGED", 0.0, null, 1.0, null))).isEqualTo("eval/train n/a, eval/precise n/a");
        assertThat(Outcome.keyRatios(cp("DIVERGED", 0.0, 1.0, null, null))).isEqualTo("eval/train n/a, eval/precise n/a");
    }

    @Test
    void aHealthyCheckpointsCollapseLineComparesWithTrainingModeNotWithZeros() {
        assertThat(CollapseSummary.of(cp("HEALTHY", 1.0, 1.2, 1.0, 1.2))).isEqualTo("iteration 10: inference-mode loss"
                + " 1.20 within 1.50 x the training-mode loss 1.00 (eval/train 1.20): inference agrees with training mode;"
                + " largest |output|: training mode 1.00, inference mode 1.00, precise statistics 1.00");
        assertThat(CollapseSummary.of(cp("EMA_LAG", 1.0, 1.2, 1.0, 1.2)))
                .contains("1.20 = 1.20 x the all-zeros-output loss 1.00");
    }

    @Test
    void aSavedModelStillInWarmUpGetsTheRecalibrateCommandsToo() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model", "m");
        c.put("data", "d.npy");
        c.put("labels", "from the DataSet file");
        assertThat(commands(report("EMA_WARMUP", "PASS", c, cp("EMA_WARMUP", 1.0, 3.0, 1.0, 3.0)))).containsExactly(
                "java -jar bn-doctor.jar recalibrate --model m --data d.npy --out m-recalibrated.zip",
                "java -jar bn-doctor.jar diagnose --model m-recalibrated.zip --data d.npy");
    }

    @Test
    void aScenarioInWarmUpIsToldToTrainTwiceAsLong() {
        Map<String, Object> c = scenario(0.001);
        c.put("iterations", 300);
        c.put("seed", 7);
        assertThat(commands(report("EMA_WARMUP", "PASS", c, cp("EMA_WARMUP", 1.0, 3.0, 1.0, 3.0, 0.05)))).containsExactly(
                "java -jar bn-doctor.jar diagnose --optimizer adam --lr 0.001 --decay 0.997 --iterations 600 --seed 7");
        assertThat(commands(report("EMA_WARMUP", "PASS", scenario(0.001), cp("EMA_WARMUP", 1.0, 3.0, 1.0, 3.0))))
                .containsExactly("java -jar bn-doctor.jar diagnose --optimizer adam --lr 0.001 --decay 0.997");
    }

    @Test
    void aScenarioShortOfASettingOrNotLaggingGetsNoCommand() {
        CheckpointEntry lag = cp("EMA_LAG", 1.0, 3.0, 1.0, 3.0, 0.05);
        for (String missing : List.of("optimizer", "learningRate", "bnDecay")) {
            Map<String, Object> c = scenario(0.001);
            c.remove(missing);
            assertThat(commands(report("EMA_LAG", "FAIL", c, lag))).as("without %s", missing).isEmpty();
        }
        assertThat(commands(report("BATCH_NOISE", "FAIL", scenario(0.001), lag))).isEmpty();
        assertThat(commands(report("EMA_LAG", "FAIL", scenario(0.001), lag))).hasSize(4);
    }

    @Test
    void onlyLayersThatTurnEnterTheMedianRotation() {
        // rotations -, 0, 0.025: the median of the positive ones is 0.025, so d = 5 / 5.025 = 0.99502..., floored
        // to 0.995 (with the zero it would be 0.0125 and d 0.997); with none there is no decay command
        List<String> cmds = commands(report("EMA_LAG", "FAIL", scenario("0.0001"),
                cp("EMA_LAG", 1.0, 3.0, 1.0, 3.0, null, 0.0, 0.025)));
        assertThat(cmds).first().isEqualTo("java -jar bn-doctor.jar diagnose --optimizer adam --lr 0.0001 --decay 0.995");
        // a learning rate given as text, a tenth of it printed in the short exponent form
        assertThat(cmds).contains("java -jar bn-doctor.jar diagnose --optimizer adam --lr 1e-5 --decay 0.997");
        assertThat(commands(report("EMA_LAG", "FAIL", scenario(0.001), cp("EMA_LAG", 1.0, 3.0, 1.0, 3.0, null, 0.0))))
                .hasSize(3).first().asString().endsWith("--adaptive-decay");
    }
}
