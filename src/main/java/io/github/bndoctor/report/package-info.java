/**
 * Results a person or a CI job reads: the versioned JSON model of a diagnosis
 * ({@link io.github.bndoctor.report.DiagnosisReport}, written and read by
 * {@link io.github.bndoctor.report.ReportJson}; JSON Schema {@code io/github/bndoctor/bn-doctor-result.schema.json}
 * in the jar, prose in {@code docs/json-schema.md}), the rule that
 * turns a run's checkpoints into one verdict and a gate result ({@link io.github.bndoctor.report.RunVerdict}),
 * the one-line account of the output collapse at the worst checkpoint
 * ({@link io.github.bndoctor.report.CollapseSummary}),
 * the outcome a report states, the one its command's exit code states ({@link io.github.bndoctor.report.Outcome}),
 * its recommendations as commands ({@link io.github.bndoctor.report.NextCommands}), a sentence and a
 * documentation link per metric and verdict ({@link io.github.bndoctor.report.Explanations}),
 * and the self-contained HTML report with XChart plots ({@link io.github.bndoctor.report.HtmlReport}), and
 * the writing of a run's outputs, all or none, never over anything but a regular file
 * ({@link io.github.bndoctor.report.AtomicOutputs}, {@link io.github.bndoctor.report.AtomicFiles}).
 */
package io.github.bndoctor.report;
