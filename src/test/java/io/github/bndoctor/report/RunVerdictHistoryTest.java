package io.github.bndoctor.report;

import io.github.bndoctor.monitor.Alarm;
import io.github.bndoctor.monitor.AlarmLevel;
import io.github.bndoctor.monitor.AlarmPolicy;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.LayerCheckpoint;
import io.github.bndoctor.probe.LayerDecomposition;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.Verdict;
import io.github.bndoctor.remedy.Recommendations;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The run verdict, gate and recommendations over a history: never HEALTHY nor "stayed within" over a
 * run with a degraded checkpoint, warm-up named only within its window, and the policy's warm-up cap
 * and persistent-gap failure at the window's edge (prior weight e^-1).
 */
@Tag("unit")
class RunVerdictHistoryTest {
    static final double E1 = Math.exp(-1);

    static Checkpoint cp(long it, double evalToTrain, double evalToPrecise, double priorWeight, Verdict v) {
        LayerDecomposition d = new LayerDecomposition("bn", it, priorWeight, 0.1, 0.2, 0.1, 0.1, 0, 0);
        return new Checkpoint(it, new OutputGap(1, evalToTrain, evalToTrain / evalToPrecise),
                List.of(new LayerCheckpoint(d, 0.1, 1)), v);
    }

    @Test
    void aRunDegradedInWarmupThenHealthyIsCalledWarmupAndPasses() {
        // the user's 3-conv CNN pattern: warm-up checkpoints far above 2, the last one healthy
        List<Checkpoint> run = List.of(cp(100, 11, 11, 0.74, Verdict.EMA_WARMUP), cp(200, 8, 8, 0.55, Verdict.EMA_WARMUP),
                cp(300, 1.2, 1.1, 0.4, Verdict.HEALTHY));
        assertThat(RunVerdict.worst(run).verdict()).isEqualTo(Verdict.HEALTHY);
        assertThat(RunVerdict.verdictCheckpoint(run).verdict()).isEqualTo(Verdict.EMA_WARMUP);
        assertThat(RunVerdict.verdictCheckpoint(run).iteration()).isEqualTo(100);
        assertThat(RunVerdict.gateFails(run, List.of())).isFalse();
        List<String> rec = Recommendations.from(run, RunVerdict.verdictCheckpoint(run), 0.997);
        assertThat(rec.get(0)).startsWith("Over the run: eval/train worst 11.0 at iteration 100 (EMA_WARMUP)");
        assertThat(rec).noneMatch(s -> s.contains("stayed within")).anyMatch(s -> s.contains("initial prior"));
    }

    @Test
    void anUnhealthyWorstCheckpointStaysTheVerdictOverALargerDegradedRatio() {
        // iteration 200's ratio 9 is the largest but excused by warm-up (prior 0.74 > e^-1); 100 decides
        List<Checkpoint> lag = List.of(cp(100, 3, 3, 0.2, Verdict.EMA_LAG), cp(200, 9, 9, 0.74, Verdict.EMA_WARMUP));
        assertThat(RunVerdict.verdictCheckpoint(lag)).isSameAs(lag.get(0));
        // a divergence is worst of all, whatever ratio a later degraded checkpoint reaches
        List<Checkpoint> diverged = List.of(cp(100, 1.5, 1.5, 0.2, Verdict.DIVERGED), cp(200, 4, 4, 0.2, Verdict.EMA_LAG));
        assertThat(RunVerdict.verdictCheckpoint(diverged)).isSameAs(diverged.get(0));
        // the same ratios with a HEALTHY worst: the largest degraded ratio is taken instead
        List<Checkpoint> healthy = List.of(cp(100, 1.2, 1.2, 0.2, Verdict.HEALTHY), cp(200, 9, 9, 0.74, Verdict.EMA_WARMUP));
        assertThat(RunVerdict.verdictCheckpoint(healthy)).isSameAs(healthy.get(1));
    }

    @Test
    void anExcusedWarmupBetweenTheThresholdsLeavesHealthyButNotStayedWithin() {
        // 1.8: above the gap threshold 1.5, not degraded (<= 2)
        List<Checkpoint> run = List.of(cp(100, 1.8, 1.8, 0.7, Verdict.EMA_WARMUP), cp(200, 1.1, 1.0, 0.3, Verdict.HEALTHY));
        assertThat(RunVerdict.verdictCheckpoint(run).verdict()).isEqualTo(Verdict.HEALTHY);
        List<String> rec = Recommendations.from(run, RunVerdict.verdictCheckpoint(run), 0.997);
        assertThat(rec.get(1)).startsWith("No action needed now").contains("[100]").doesNotContain("stayed within");
        // every checkpoint within: the plain text
        List<Checkpoint> clean = List.of(cp(100, 1.1, 1.0, 0.7, Verdict.HEALTHY), cp(200, 1.2, 1.0, 0.3, Verdict.HEALTHY));
        assertThat(Recommendations.from(clean, RunVerdict.verdictCheckpoint(clean), 0.997).get(1))
                .startsWith("No action needed: inference-mode loss stayed within");
    }

    @Test
    void aRunBrokenThroughoutFailsOncePastTheWindowWarmStartedOrNot() {
        // third-party pattern: EMA_WARMUP everywhere, eval/precise 6-40, prior weight falling below e^-1
        List<Checkpoint> run = new ArrayList<>();
        double[] prior = {0.74, 0.55, Math.nextUp(E1), E1, 0.2};
        for (int i = 0; i < prior.length; i++) {
            run.add(cp(100L * (i + 1), 7 + i, 6 + i, prior[i], Verdict.EMA_WARMUP));
        }
        AlarmPolicy p = AlarmPolicy.DEFAULT;
        for (int i = 0; i < run.size(); i++) {
            List<Alarm> a = p.evaluate(run.get(i), run.subList(0, i + 1));
            boolean past = i >= 3;
            assertThat(a.stream().anyMatch(x -> x.level() == AlarmLevel.FAIL)).as("checkpoint %d", i).isEqualTo(past);
            assertThat(a.stream().anyMatch(x -> x.metric().equals(AlarmPolicy.PERSISTENT_GAP))).isEqualTo(past);
            // the per-checkpoint eval/precise failure (>= 5) is no longer capped past the window
            assertThat(p.evaluate(run.get(i)).stream().anyMatch(x -> x.level() == AlarmLevel.FAIL)).isEqualTo(past);
        }
        assertThat(RunVerdict.gateFails(run, List.of())).isTrue();
        assertThat(RunVerdict.verdictCheckpoint(run).verdict()).isEqualTo(Verdict.EMA_WARMUP);
        List<String> rec = Recommendations.from(run, RunVerdict.verdictCheckpoint(run), 0.997);
        assertThat(rec.get(1)).startsWith("Inference is broken: eval/train above 2 at 5 of 5 checkpoints")
                .contains("from iteration 400");
        assertThat(rec.get(2)).contains("the EMA window 1/(1-d) has passed");
        // warm-started (prior weight 0): the persistent gap fails at the first checkpoint
        Checkpoint warmStarted = cp(100, 3, 3, 0, Verdict.EMA_LAG);
        assertThat(p.evaluate(warmStarted, List.of(warmStarted))).first()
                .satisfies(a -> assertThat(a.metric()).isEqualTo(AlarmPolicy.PERSISTENT_GAP))
                .satisfies(a -> assertThat(a.level()).isEqualTo(AlarmLevel.FAIL));
        assertThatThrownBy(() -> p.evaluate(warmStarted, List.of())).isInstanceOf(IllegalArgumentException.class);
        // a healthy warm-started run raises nothing that fails
        Checkpoint fine = cp(100, 1.2, 1.1, 0, Verdict.HEALTHY);
        assertThat(p.evaluate(fine, List.of(fine))).noneMatch(x -> x.level() == AlarmLevel.FAIL);
        ReportAssembler.Run r = ReportAssembler.Run.of("x", Map.of(), run, List.of(), 0.997);
        assertThat(ReportAssembler.summary(r).gate()).isEqualTo("FAIL");
        assertThat(ReportAssembler.summary(r).verdict()).isEqualTo("EMA_WARMUP");
    }
}
