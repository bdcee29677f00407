/**
 * The {@code bn-doctor} command line ({@link io.github.bndoctor.cli.Main}): {@code diagnose} on the
 * seed scenario or a saved model, {@code inspect} and {@code recalibrate}, built with picocli. Exit
 * codes: 0 healthy, 1 usage or input error, 2 internal error, 3 the BN gate failed.
 */
package io.github.bndoctor.cli;
