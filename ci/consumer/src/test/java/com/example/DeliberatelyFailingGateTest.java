package com.example;

import io.github.bndoctor.monitor.AlarmPolicy;
import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.monitor.Threshold;
import io.github.bndoctor.testkit.BnDoctorRun;
import io.github.bndoctor.testkit.BnDoctorTest;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Fails on purpose, to show what a failed gate looks like in a user's build: Surefire must count it
 * as a failure (not an error) with the gate's message. Excluded by default; ci/consumer.sh runs it
 * alone with -Dgate.groups=deliberately-failing -Dgate.excluded=none and checks the Surefire report.
 * A BN window of 1,000 iterations (decay 0.999) with moving statistics declared prior-free cannot
 * follow the activations in 32 iterations, and the gate fails above eval/precise 1.2.
 */
@Tag("deliberately-failing")
class DeliberatelyFailingGateTest {
    @BnDoctorTest
    void aLaggingEmaFailsTheGate(BnDoctorRun run) {
        MultiLayerNetwork net = MyModels.network(new Adam(1e-2), 0.999);
        DataSet probe = MyData.heldOut(64);
        AlarmPolicy strict = new AlarmPolicy(new Threshold(1.2, 1.2), Threshold.warnOnly(0.5), Threshold.warnOnly(5));
        run.watch(net, BnMonitor.builder(probe.getFeatures(), probe.getLabels()).preciseData(MyData.training(32))
                .every(16).policy(strict).warmStarted());
        net.fit(MyData.training(32), 2);
    }
}
