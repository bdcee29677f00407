/**
 * Reusable training scenarios for the batch-norm train/inference divergence. The seed scenario:
 * seeded synthetic pose heatmap data ({@link io.github.bndoctor.scenario.PoseDataGenerator}), a
 * MobileNetV2-like graph ({@link io.github.bndoctor.scenario.MobileNetV2Like}), an immutable
 * configuration with calibrated presets ({@link io.github.bndoctor.scenario.ScenarioConfig}), a
 * trainer with checkpoints ({@link io.github.bndoctor.scenario.ScenarioRun}) and the probe-set loss
 * in both batch-norm modes ({@link io.github.bndoctor.scenario.ProbeLoss}). Further networks and
 * tasks are {@link io.github.bndoctor.scenario.ScenarioKind}s of the same configuration: a
 * ResNet-style graph on the same heatmaps ({@link io.github.bndoctor.scenario.ResNetLike}) and a
 * dense MLP with small batches on a regression task
 * ({@link io.github.bndoctor.scenario.DenseRegressionMlp},
 * {@link io.github.bndoctor.scenario.DenseRegressionData}).
 *
 * <p>Measured figures behind the presets are in {@code fixtures/scenario-calibration.md}.
 */
package io.github.bndoctor.scenario;
