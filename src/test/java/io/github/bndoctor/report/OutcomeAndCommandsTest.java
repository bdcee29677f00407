package io.github.bndoctor.report;

import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;
import io.github.bndoctor.report.DiagnosisReport.LayerEntry;
import io.github.bndoctor.report.DiagnosisReport.RunSummary;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The outcome a report states (the exit code's), and its recommendations as commands with the run's arguments. */
final class OutcomeAndCommandsTest {
    private static CheckpointEntry cp(long it, double train, double eval, double precise, String verdict, Double rotation) {
        return new CheckpointEntry(it, train, eval, precise, 1.0, eval / train, eval, null, null, 1.0, 1.0, 1.0, verdict,
                List.of(new LayerEntry("bn1", 1.0, 0.1, rotation, null, null, 1.0, 0.0, 0.997)));
    }

    private static DiagnosisReport report(String verdict, String gate, Map<String, Object> config, List<RunSummary> fixes,
                                          CheckpointEntry... cps) {
        return new DiagnosisReport(3, verdict, gate, DiagnosisReport.LOSS_LABELS, config, List.of(cps), List.of(),
                List.of("advice"), List.of(), fixes);
    }

    private static RunSummary fix(String gate) {
        return new RunSummary("fix", gate.equals("PASS") ? "HEALTHY" : "EMA_LAG", gate, Map.of("name", "fix"),
                List.of(cp(10, 1, 1, 1, "HEALTHY", null)), List.of(), List.of());
    }

    private static Map<String, Object> savedModel(String model) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", "m");
        c.put("model", model);
        c.put("data", "d.npy");
        c.put("labels", "y.npy");
        return c;
    }

    @Test
    void aDemoWhoseSeedFailsAsExpectedPassesWhenEveryFixPasses() {
        Map<String, Object> seed = Map.of("name", "seed");
        Outcome pass = Outcome.of(report("EMA_LAG", "FAIL", seed, List.of(fix("PASS"), fix("PASS")),
                cp(10, 1, 3, 1, "EMA_LAG", 0.1)));
        assertThat(pass.passed()).isTrue();
        assertThat(pass.demo()).isTrue();
        assertThat(pass.headline()).startsWith("PASS: every fix passes the gate").contains("fails as expected (EMA_LAG)")
                .doesNotContain("gate FAIL");
        Outcome fail = Outcome.of(report("EMA_LAG", "FAIL", seed, List.of(fix("PASS"), fix("FAIL")),
                cp(10, 1, 3, 1, "EMA_LAG", 0.1)));
        assertThat(fail.passed()).isFalse();
        assertThat(fail.headline()).startsWith("FAIL: 1 of 2 fixes did not pass the gate");
    }

    @Test
    void aSingleRunsOutcomeIsItsGate() {
        assertThat(Outcome.of(report("HEALTHY", "PASS", Map.of("name", "m"), List.of(), cp(1, 1, 1, 1, "HEALTHY", null)))
                .passed()).isTrue();
        Outcome f = Outcome.of(report("EMA_LAG", "FAIL", Map.of("name", "m"), List.of(), cp(1, 1, 3, 1, "EMA_LAG", null)));
        assertThat(f.passed()).isFalse();
        assertThat(f.headline()).isEqualTo("FAIL: verdict EMA_LAG fails the gate");
        // eval/precise = 3 / 1.5 = 2, from the losses, not from the report
        assertThat(Outcome.keyRatios(cp(1, 1, 3, 1.5, "EMA_LAG", null))).isEqualTo("eval/train 3.00, eval/precise 2.00");
    }

    @Test
    void theBannersSentenceReadsTheKeyRatiosAgainstTheGapThreshold() {
        // eval/train 1.5 is at the threshold: still as in training; 3 with eval/precise 3: the moving statistics;
        // 3 with eval/precise 1.2 (precise 2.5): batch statistics
        assertThat(HtmlReport.meaning(cp(1, 1, 1.5, 1, "HEALTHY", null), DiagnosisReport.LOSS_LABELS))
                .startsWith("Inference mode is within 1.50 x the training-mode loss");
        assertThat(HtmlReport.meaning(cp(1, 1, 3, 1, "EMA_LAG", null), DiagnosisReport.LOSS_LABELS))
                .isEqualTo("The deployed model's loss is 3.00 x its training-mode loss; recomputing the BN statistics"
                        + " (precise BN) would bring it down 3.00-fold, so the moving statistics are to blame.");
        assertThat(HtmlReport.meaning(cp(1, 1, 3, 2.5, "BATCH_NOISE", null), DiagnosisReport.LOSS_LABELS))
                .contains("precise statistics do no better, so recalibration will not help");
        assertThat(HtmlReport.meaning(cp(1, 1, 3, 1, "EMA_LAG", null), DiagnosisReport.LOSS_OUTPUT_DEVIATION))
                .startsWith("The deployed model's outputs deviate from its training-mode outputs by 2.00 x their variance");
    }

    @Test
    void aLaggingSavedModelGetsRecalibrateAndCheckCommandsOnItsOwnFiles() {
        List<NextCommands.Command> c = NextCommands.of(report("EMA_LAG", "FAIL", savedModel("out/pose model.zip"),
                List.of(), cp(1, 1, 3, 1, "EMA_LAG", null)));
        assertThat(c).extracting(NextCommands.Command::command).containsExactly(
                "java -jar bn-doctor.jar recalibrate --model 'out/pose model.zip' --data d.npy --out"
                        + " 'out/pose model-recalibrated.zip'",
                "java -jar bn-doctor.jar diagnose --model 'out/pose model-recalibrated.zip' --data d.npy --labels y.npy");
        assertThat(NextCommands.of(report("HEALTHY", "PASS", savedModel("m.zip"), List.of(),
                cp(1, 1, 1, 1, "HEALTHY", null)))).isEmpty();
        assertThat(NextCommands.q("it's")).isEqualTo("'it'\\''s'");
    }

    @Test
    void aLaggingScenarioGetsTheDecayThatKeepsTheLagWithinBudget() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", "s");
        c.put("optimizer", "adam");
        c.put("learningRate", 0.001);
        c.put("bnDecay", 0.997);
        c.put("iterations", 300);
        c.put("seed", 1);
        // rotation 0.05 deg/iteration, budget 5 deg: d = 5 / 5.05 = 0.990099..., floored to 3 decimals
        List<NextCommands.Command> cmds = NextCommands.of(report("EMA_LAG", "FAIL", c, List.of(),
                cp(100, 1, 3, 1, "EMA_LAG", 0.05)));
        assertThat(cmds).extracting(NextCommands.Command::command).containsExactly(
                "java -jar bn-doctor.jar diagnose --optimizer adam --lr 0.001 --decay 0.99 --iterations 300 --seed 1",
                "java -jar bn-doctor.jar diagnose --optimizer adam --lr 0.001 --decay 0.997 --iterations 300 --seed 1"
                        + " --adaptive-decay",
                "java -jar bn-doctor.jar diagnose --optimizer adam --lr 0.0001 --decay 0.997 --iterations 300 --seed 1",
                "java -jar bn-doctor.jar diagnose --optimizer nesterov --lr 0.001 --decay 0.997 --iterations 300 --seed 1");
    }
}
