/**
 * bn-doctor: diagnoses, gates and treats the Batch Normalization train/inference divergence in
 * Deeplearning4j 1.0.0-M2.1 models.
 *
 * <p>Packages follow the data's path:
 * <ul>
 *   <li>{@link io.github.bndoctor.stats} - pure statistics: moments, the EMA recurrence and its
 *       closed forms, population estimators, distances, tolerances (no DL4J);</li>
 *   <li>{@link io.github.bndoctor.dl4j} - DL4J access: finding BN layers, reading and writing
 *       moving statistics, capturing batch statistics of BN inputs;</li>
 *   <li>{@link io.github.bndoctor.testkit} - QuickTheories generators and AssertJ assertions for
 *       users' own property tests.</li>
 * </ul>
 *
 * <p>Every error raised on bad input is a {@link io.github.bndoctor.BnDoctorException}.
 */
package io.github.bndoctor;
