/**
 * The reusable seed scenario for the batch-norm train/inference divergence: seeded
 * synthetic pose heatmap data ({@link io.github.bndoctor.scenario.PoseDataGenerator}), a
 * MobileNetV2-like graph ({@link io.github.bndoctor.scenario.MobileNetV2Like}), an immutable
 * configuration with calibrated presets ({@link io.github.bndoctor.scenario.ScenarioConfig}), a
 * trainer with checkpoints ({@link io.github.bndoctor.scenario.ScenarioRun}) and the probe-set loss
 * in both batch-norm modes ({@link io.github.bndoctor.scenario.ProbeLoss}).
 *
 * <p>Measured figures behind the presets are in {@code fixtures/scenario-calibration.md}.
 */
package io.github.bndoctor.scenario;
