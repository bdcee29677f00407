/**
 * A test kit for BN models in a user's own tests: QuickTheories generators for BN domains
 * ({@link io.github.bndoctor.testkit.BnGenerators}), small real DL4J networks built from them
 * ({@link io.github.bndoctor.testkit.TinyBnNetworks}), Gaussian batches with known per-channel
 * statistics ({@link io.github.bndoctor.testkit.GaussianBatches}), one AssertJ entry point,
 * {@link io.github.bndoctor.testkit.BnAssertions#assertThat} (moving statistics, the
 * train/inference gap on a probe of the user's data, a monitor's alarms), and a JUnit 5 extension
 * ({@link io.github.bndoctor.testkit.BnDoctorExtension}, {@link io.github.bndoctor.testkit.BnDoctorTest})
 * that monitors the networks a test trains and leaves a report per test.
 *
 * <p>It lives in {@code src/main} so that users can write their own tests with it. Its
 * dependencies are the user's to add at test scope (they are optional dependencies of bn-doctor,
 * so they never change a user's versions): AssertJ ({@code org.assertj:assertj-core}) for the
 * assertions, QuickTheories ({@code org.quicktheories:quicktheories}) for the generators, JUnit 5
 * for the extension. See the README for a worked example.
 */
package io.github.bndoctor.testkit;
