package io.github.bndoctor.testkit;

import io.github.bndoctor.monitor.BnMonitor;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What a test hands the networks it trains to, injected by {@link BnDoctorExtension}: each
 * {@link #watch} attaches a {@link BnMonitor} to a network and records it, so that after the test
 * (passed or failed) the extension writes the report of every watched run, named after the test.
 */
public final class BnDoctorRun {
    private final String name;
    private final Path htmlFile;
    private final Path jsonFile;
    private final List<BnMonitor> monitors = new ArrayList<>();

    BnDoctorRun(String name, Path htmlFile, Path jsonFile) {
        this.name = name;
        this.htmlFile = htmlFile;
        this.jsonFile = jsonFile;
    }

    /**
     * Builds the monitor and attaches it to the network next to its other listeners.
     *
     * @param net a {@code MultiLayerNetwork} or {@code ComputationGraph} with BN layers
     * @param monitor the monitor's settings
     * @return the monitor, for assertions after {@code fit}
     */
    public BnMonitor watch(Model net, BnMonitor.Builder monitor) {
        BnMonitor m = Objects.requireNonNull(monitor, "monitor").build();
        if (net instanceof MultiLayerNetwork mln) {
            mln.addListeners(m);
        } else if (net instanceof ComputationGraph graph) {
            graph.addListeners(m);
        } else {
            throw new IllegalArgumentException("bn-doctor watches a MultiLayerNetwork or ComputationGraph, got "
                    + (net == null ? "null" : net.getClass().getName()));
        }
        monitors.add(m);
        return m;
    }

    /**
     * Attaches a monitor with the defaults ({@link io.github.bndoctor.monitor.AlarmPolicy#DEFAULT},
     * fail-fast) probing every {@code every} iterations.
     *
     * @param net the network
     * @param probeFeatures held-out probe inputs
     * @param probeLabels their labels
     * @param preciseData training examples for precise statistics: not the iterator being fitted
     * @param every iterations between checkpoints, at least 2
     * @return the monitor
     */
    public BnMonitor watch(Model net, INDArray probeFeatures, INDArray probeLabels, DataSetIterator preciseData,
                           int every) {
        return watch(net, BnMonitor.builder(probeFeatures, probeLabels).preciseData(preciseData).every(every));
    }

    /** @return the run's name: the test class's simple name and the test method, {@code Class.method} */
    public String name() {
        return name;
    }

    /** @return where the HTML report is written after the test */
    public Path htmlReport() {
        return htmlFile;
    }

    /** @return where the JSON report is written after the test */
    public Path jsonReport() {
        return jsonFile;
    }

    /** @return the monitors attached so far, in order */
    public List<BnMonitor> monitors() {
        return Collections.unmodifiableList(monitors);
    }
}
