/**
 * Differential conformance of Batch Normalization against an independent reference (PyTorch).
 *
 * <p>The reference cases are produced by {@code fixtures/generate_reference.py} with PyTorch and
 * committed under {@code fixtures/reference/}. This package reads them ({@link
 * io.github.bndoctor.conformance.ReferenceReader}), maps PyTorch's BatchNorm semantics onto DL4J's
 * ({@link io.github.bndoctor.conformance.TorchToDl4j}: momentum = 1 - decay, unbiased versus
 * biased running variance, eps inside the square root in both), derives per-element tolerances
 * from float32 rounding ({@link io.github.bndoctor.conformance.FloatErrorModel}) and compares
 * ({@link io.github.bndoctor.conformance.ConformanceComparator}). Users can run the same checks on
 * their own cases.
 */
package io.github.bndoctor.conformance;
