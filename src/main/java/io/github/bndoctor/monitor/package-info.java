/**
 * Monitoring during training: {@link io.github.bndoctor.monitor.BnMonitor}, a DL4J
 * {@code TrainingListener} that runs the probes every K iterations, keeps the time series
 * ({@link io.github.bndoctor.probe.Checkpoint}) and applies an
 * {@link io.github.bndoctor.monitor.AlarmPolicy}; a {@code FAIL} alarm throws
 * {@link io.github.bndoctor.monitor.BnGateFailure}, so a unit test or CI gate stops at the first
 * bad checkpoint. {@link io.github.bndoctor.monitor.BatchStatisticsFromUpdates} is the cheap
 * companion: every iteration it recovers each BN layer's batch statistics from the
 * moving-statistics update and reports the EMA error against a short window of them
 * ({@link io.github.bndoctor.monitor.LagReading}), without a forward pass.
 * {@link io.github.bndoctor.monitor.LagAlarm} turns the cheap signals into an early warning and,
 * confirmed by the probe, a state alarm; {@link io.github.bndoctor.monitor.AlarmQuality} scores an
 * alarm rule's precision and recall against what happened at each checkpoint.
 */
package io.github.bndoctor.monitor;
