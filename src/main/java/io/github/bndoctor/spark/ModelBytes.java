package io.github.bndoctor.spark;

import io.github.bndoctor.BnDoctorException;
import io.github.bndoctor.dl4j.BnNetwork;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;

/**
 * A network as the bytes of its {@code ModelSerializer} zip (configuration and parameters, no
 * updater state): what the driver broadcasts, and what each task turns back into its own copy.
 *
 * @param graph whether the network is a {@code ComputationGraph} (else a {@code MultiLayerNetwork})
 * @param zip the serialized network
 */
record ModelBytes(boolean graph, byte[] zip) implements Serializable {
    /**
     * @param model a {@code MultiLayerNetwork} or {@code ComputationGraph}
     * @return its bytes
     */
    static ModelBytes of(Model model) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (model instanceof MultiLayerNetwork mln) {
                ModelSerializer.writeModel(mln, out, false);
                return new ModelBytes(false, out.toByteArray());
            }
            if (model instanceof ComputationGraph cg) {
                ModelSerializer.writeModel(cg, out, false);
                return new ModelBytes(true, out.toByteArray());
            }
        } catch (IOException e) {
            throw new BnDoctorException("cannot serialize the model for broadcast: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("bn-doctor supports MultiLayerNetwork and ComputationGraph, got "
                + (model == null ? "null" : model.getClass().getName()));
    }

    /** @return a fresh copy of the network */
    BnNetwork restore() {
        try {
            return BnNetwork.of(graph
                    ? ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip), false)
                    : ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(zip), false));
        } catch (IOException e) {
            throw new BnDoctorException("cannot restore the broadcast model: " + e.getMessage(), e);
        }
    }
}
