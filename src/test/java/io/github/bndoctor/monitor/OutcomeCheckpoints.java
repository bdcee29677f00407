package io.github.bndoctor.monitor;

import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.probe.OutputGap;
import io.github.bndoctor.probe.Verdict;
import java.util.List;

/** Checkpoints that carry only an iteration and an eval/train ratio: what alarm scoring reads. */
final class OutcomeCheckpoints {
    private OutcomeCheckpoints() {
    }

    /**
     * @param iteration the checkpoint's iteration
     * @param evalOverTrain its eval/train loss ratio (train loss 1, precise loss 1)
     * @return a checkpoint without layers, verdict HEALTHY
     */
    static Checkpoint at(long iteration, double evalOverTrain) {
        return new Checkpoint(iteration, new OutputGap(1, evalOverTrain, 1), List.of(), Verdict.HEALTHY);
    }
}
