package io.github.bndoctor.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.dropout.IDropout;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Removes dropout from every layer's configuration until {@link #close()}, so that a
 * training-mode forward pass measures batch normalisation alone and draws no random numbers
 * (which would shift the training run's random stream). DL4J reads the dropout from the layer
 * configuration on every pass, so this touches no parameter. Not thread-safe: do not train the
 * same network concurrently.
 */
public final class DropoutSuspension implements AutoCloseable {
    private final Map<org.deeplearning4j.nn.conf.layers.Layer, IDropout> saved;

    private DropoutSuspension(Map<org.deeplearning4j.nn.conf.layers.Layer, IDropout> saved) {
        this.saved = saved;
    }

    /**
     * @param net the network
     * @return a suspension to close when the pass is done
     */
    public static DropoutSuspension of(BnNetwork net) {
        Map<org.deeplearning4j.nn.conf.layers.Layer, IDropout> saved = new LinkedHashMap<>();
        for (Layer layer : net.allLayers()) {
            org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
            if (conf.getIDropout() != null) {
                saved.put(conf, conf.getIDropout());
                conf.setIDropout(null);
            }
        }
        return new DropoutSuspension(saved);
    }

    @Override
    public void close() {
        saved.forEach(org.deeplearning4j.nn.conf.layers.Layer::setIDropout);
    }
}
