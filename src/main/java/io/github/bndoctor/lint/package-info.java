/**
 * Static checks of a network's configuration for BN pitfalls specific to DL4J 1.0.0-M2.1
 * ({@link io.github.bndoctor.lint.ConfigLints}), and the forecast of each BN layer's EMA lag from the
 * configured updater before training ({@link io.github.bndoctor.lint.LagForecast}) with the check of
 * its premise, scale-invariant BN inputs ({@link io.github.bndoctor.lint.ScaleInvariance}).
 */
package io.github.bndoctor.lint;
