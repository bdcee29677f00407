package io.github.bndoctor.testkit;

/** The two DL4J network types bn-doctor supports. */
public enum NetworkKind {
    /** {@code MultiLayerNetwork}. */
    MULTI_LAYER,
    /** {@code ComputationGraph}. */
    GRAPH
}
