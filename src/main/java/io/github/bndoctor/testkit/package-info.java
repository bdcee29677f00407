/**
 * A test kit for property tests of BN models: QuickTheories generators for BN domains
 * ({@link io.github.bndoctor.testkit.BnGenerators}), small real DL4J networks built from them
 * ({@link io.github.bndoctor.testkit.TinyBnNetworks}), Gaussian batches with known per-channel
 * statistics ({@link io.github.bndoctor.testkit.GaussianBatches}), and one AssertJ entry point,
 * {@link io.github.bndoctor.testkit.BnAssertions#assertThat}.
 *
 * <p>It lives in {@code src/main} so that users can write their own property tests with it; see
 * the README for a worked example.
 */
package io.github.bndoctor.testkit;
