package io.github.bndoctor.monitor;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.probe.Checkpoint;
import io.github.bndoctor.remedy.WarmStart;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gate as the README shows it ({@code BnMonitor.builder(probe).preciseData(...).every(100).build()},
 * default policy, fail-fast) on a network the project does not train itself ({@link UnseenCnn}):
 * with Adam 3e-3 and decay 0.997 its inference breaks, and the gate fails it once the EMA window
 * {@code 1/(1-d)} = 333 iterations has passed, warm-started or not; with Nesterov 1e-2 the same
 * network stays healthy and the gate passes. That the failed run was broken is checked from its
 * checkpoints directly: eval/train above 2 at half or more of them.
 */
@Tag("unit")
class ReadmeGateOnUnseenCnnTest {
    private static final int ITERATIONS = 600;
    private static final double DECAY = 0.997;
    private static final double WINDOW = 1 / (1 - DECAY);

    /** The run's checkpoints, and the gate failure that stopped it ({@code null} if none). */
    private record Outcome(List<Checkpoint> checkpoints, BnGateFailure failure, List<Alarm> alarms) {
    }

    private static Outcome run(IUpdater updater, boolean warmStart) {
        MultiLayerNetwork net = UnseenCnn.build(updater, DECAY, 5);
        DataSet probe = UnseenCnn.data(64, 13);
        ListDataSetIterator<DataSet> precise = UnseenCnn.batches(UnseenCnn.data(256, 12), 32);
        if (warmStart) {
            WarmStart.apply(BnNetwork.of(net), precise, 256);
        }
        BnMonitor.Builder b = BnMonitor.builder(probe.getFeatures(), probe.getLabels()).preciseData(precise).every(100);
        if (warmStart) {
            b.warmStarted();
        }
        BnMonitor monitor = b.build();
        net.addListeners(monitor);
        ListDataSetIterator<DataSet> train = UnseenCnn.batches(UnseenCnn.data(512, 11), 8);
        BnGateFailure failure = null;
        try {
            for (int done = 0; done < ITERATIONS; ) {
                train.reset();
                while (train.hasNext() && done < ITERATIONS) {
                    net.fit(train.next());
                    done++;
                }
            }
        } catch (BnGateFailure f) {
            failure = f;
        }
        return new Outcome(new ArrayList<>(monitor.checkpoints()), failure, new ArrayList<>(monitor.alarms()));
    }

    private static void assertFailedAfterTheWindowOverABrokenRun(Outcome o) {
        assertThat(o.failure()).as("the gate fails").isNotNull();
        assertThat(o.failure().alarm().level()).isEqualTo(AlarmLevel.FAIL);
        assertThat(o.failure().alarm().iteration()).as("not before the window").isGreaterThan((long) WINDOW);
        assertThat(o.checkpoints().get(o.checkpoints().size() - 1).iteration()).isEqualTo(o.failure().alarm().iteration());
        int broken = 0;
        for (Checkpoint c : o.checkpoints()) {
            if (c.gap().evalModeLoss() > 2 * c.gap().trainModeLoss()) {
                broken++;
            }
        }
        assertThat(2 * broken).as("eval/train above 2 at half or more of the checkpoints").isGreaterThanOrEqualTo(
                o.checkpoints().size());
    }

    @Test
    void theGateFailsAnAdamRunWhoseInferenceBreaksWarmStartedOrNot() {
        assertFailedAfterTheWindowOverABrokenRun(run(new Adam(3e-3), false));
        assertFailedAfterTheWindowOverABrokenRun(run(new Adam(3e-3), true));
    }

    @Test
    void theGatePassesTheHealthyNesterovRun() {
        Outcome o = run(new Nesterovs(1e-2, 0.9), false);
        assertThat(o.failure()).isNull();
        assertThat(o.checkpoints()).hasSize(ITERATIONS / 100);
        assertThat(o.alarms()).noneMatch(a -> a.level() == AlarmLevel.FAIL);
    }
}
