package com.example;

import io.github.bndoctor.monitor.BnMonitor;
import io.github.bndoctor.testkit.BnDoctorRun;
import io.github.bndoctor.testkit.BnDoctorTest;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

import static io.github.bndoctor.testkit.BnAssertions.assertThat;

class MyNetworkBnGateTest {
    @BnDoctorTest   // a JUnit 5 test whose report lands in target/bn-doctor-reports/<class>/<method>.html and .json
    void inferenceModeKeepsUpWithTrainingMode(BnDoctorRun run) {
        MultiLayerNetwork net = MyModels.network();                 // your network, with BatchNormalization layers
        DataSet probe = MyData.heldOut(64);                         // a held-out probe batch
        BnMonitor monitor = run.watch(net, BnMonitor.builder(probe.getFeatures(), probe.getLabels())
                .preciseData(MyData.training(32))                   // a second training iterator, not the one fitted
                .every(20));                                        // iterations between checkpoints (default 1000)
        net.fit(MyData.training(32), 5);                            // a FAIL alarm fails the test right here
        assertThat(monitor).hasNoFailAlarms();
        assertThat(net).onProbe(probe.getFeatures(), probe.getLabels())
                .withPreciseDataFrom(MyData.training(32))           // precise statistics from training data
                .hasEvalToTrainRatioAtMost(1.5)
                .hasEvalToPreciseRatioAtMost(1.5);
    }
}
