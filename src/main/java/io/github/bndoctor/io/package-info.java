/**
 * Hardened readers of the files users hand to bn-doctor: {@code .npy} arrays, DL4J
 * {@code DataSet} files and DL4J model zips. Pure Java, no native code sees a byte before it is
 * checked.
 *
 * <ul>
 *   <li>{@link io.github.bndoctor.io.NpyFile} - parses a {@code .npy} header strictly (versions
 *       1-3, a whitelist of element types, C or Fortran order) and checks the body length exactly;</li>
 *   <li>{@link io.github.bndoctor.io.ArrayFile} - a dense array stored in a file, read example by
 *       example: memory grows with the examples requested, never with the file, and every read is
 *       checked against a size limit before anything is allocated;</li>
 *   <li>{@link io.github.bndoctor.io.ElementType} - the element types accepted and their decoding;</li>
 *   <li>{@link io.github.bndoctor.io.FiniteInType} - whether a value stays finite in a model's type;</li>
 *   <li>{@link io.github.bndoctor.io.ModelZip} - model zips with bounded inflation, CRC-checked
 *       entries, an entry count taken while the central directory is walked ({@code CentralDirectory}),
 *       no overlapping entries and bounded layer counts (limits in {@code docs/input-limits.md}).</li>
 * </ul>
 *
 * <p>Every problem with a file is an {@link io.github.bndoctor.io.InputFileException} whose message
 * starts with the file's path and says what is wrong, with both numbers where two disagree.
 */
package io.github.bndoctor.io;
