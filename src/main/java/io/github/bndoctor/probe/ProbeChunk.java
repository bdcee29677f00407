package io.github.bndoctor.probe;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One chunk of a probe: inputs and labels of a few examples. Probes given as an
 * {@code Iterable<ProbeChunk>} are measured chunk by chunk, so memory depends on the chunk, not on
 * the probe; each call to {@code iterator()} starts a fresh pass over the same examples.
 *
 * @param features inputs, one array per network input
 * @param labels labels (or reference outputs), one array per network output
 */
public record ProbeChunk(INDArray[] features, INDArray[] labels) {
}
