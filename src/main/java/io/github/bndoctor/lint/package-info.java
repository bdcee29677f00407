/**
 * Static checks of a network's configuration for BN pitfalls specific to DL4J 1.0.0-M2.1
 * ({@link io.github.bndoctor.lint.ConfigLints}).
 */
package io.github.bndoctor.lint;
