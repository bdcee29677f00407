package io.github.bndoctor.probe;

/** What drives a network's train/inference gap. */
public enum Verdict {
    /** Inference mode is as good as training mode (within the gap threshold). */
    HEALTHY,
    /** The moving statistics still carry their initial prior (mean 0, variance 1): wait, or warm-start. */
    EMA_WARMUP,
    /** The moving statistics trail statistics that move faster than the EMA window follows. */
    EMA_LAG,
    /** Even precise population statistics do not recover training mode: the model relies on per-batch statistics. */
    BATCH_NOISE,
    /** Training mode itself is bad (non-finite or above the reference loss). */
    DIVERGED
}
