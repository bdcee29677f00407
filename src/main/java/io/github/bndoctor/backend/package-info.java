/**
 * Which ND4J backend is really running.
 *
 * <p>{@link io.github.bndoctor.backend.BackendInfo} names the backend ND4J loaded (CPU or CUDA) and
 * its device count, and checks it against the backend a build expects, so that a GPU gate can
 * never pass silently on the CPU backend. Mismatches raise
 * {@link io.github.bndoctor.backend.BackendMismatchException}; a backend that cannot load at all
 * raises {@link io.github.bndoctor.backend.BackendUnavailableException}.
 */
package io.github.bndoctor.backend;
