package io.github.bndoctor.report;

import io.github.bndoctor.probe.DiagnosisThresholds;
import io.github.bndoctor.report.DiagnosisReport.CheckpointEntry;

import java.util.List;
import java.util.Locale;

/**
 * One line on the output collapse at a run's worst checkpoint ({@link RunVerdict#worstEntry}): the
 * inference-mode loss as a fraction of the loss of all-zero outputs, and the largest absolute output
 * of each mode. This is how the collapse shows by eye: inference-mode loss at the all-zeros level
 * (fraction near 1) and the largest inference-mode output near 0 while training mode still peaks.
 * A {@code HEALTHY} checkpoint's line says instead that inference agrees with training mode.
 */
public final class CollapseSummary {
    private CollapseSummary() {
    }

    /**
     * @param checkpoints a run's checkpoint entries, at least one
     * @return the line for its worst checkpoint
     */
    public static String of(List<CheckpointEntry> checkpoints) {
        return of(RunVerdict.worstEntry(checkpoints));
    }

    /**
     * @param c a checkpoint entry
     * @return e.g. {@code iteration 450: inference-mode loss 0.0119 = 0.967 x the all-zeros-output loss
     *     0.0123; largest |output|: training mode 0.934, inference mode 1.20e-11, precise statistics 0.912}
     */
    public static String of(CheckpointEntry c) {
        StringBuilder b = new StringBuilder("iteration ").append(c.iteration()).append(": inference-mode loss ")
                .append(num(c.evalModeLoss()));
        if ("HEALTHY".equals(c.verdict())) {
            // a passing checkpoint: what matters is that inference agrees with training mode, not how the
            // loss compares with all-zero outputs (early in training both modes may still be above it)
            b.append(" within ").append(num(DiagnosisThresholds.DEFAULT.gapRatio())).append(" x the training-mode loss ").append(num(c.trainModeLoss())).append(" (eval/train ")
                    .append(num(c.evalToTrainRatio())).append("): inference agrees with training mode");
        } else if (c.zerosLoss() == null) {
            b.append(", all-zeros-output loss not measured");
        } else if (c.evalToZerosRatio() == null) {
            b.append(", all-zeros-output loss ").append(num(c.zerosLoss())).append(" (no ratio: not positive)");
        } else {
            b.append(" = ").append(num(c.evalToZerosRatio())).append(" x the all-zeros-output loss ")
                    .append(num(c.zerosLoss()));
        }
        return b.append("; largest |output|: training mode ").append(num(c.trainModeMaxAbsOutput()))
                .append(", inference mode ").append(num(c.evalModeMaxAbsOutput())).append(", precise statistics ")
                .append(num(c.preciseMaxAbsOutput())).toString();
    }

    private static String num(Double v) {
        return v == null ? "n/a" : String.format(Locale.ROOT, "%.3g", v);
    }
}
