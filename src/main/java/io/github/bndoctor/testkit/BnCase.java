package io.github.bndoctor.testkit;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;

import java.util.Arrays;

/**
 * One drawn example of a BN layer fed with Gaussian data: the layer's configuration and the
 * population its input is drawn from.
 *
 * @param kind network type
 * @param layout input layout
 * @param parameterisation how the moving variance is stored
 * @param decay BN decay
 * @param batch examples per batch
 * @param height spatial height (1 for dense)
 * @param width spatial width (1 for dense)
 * @param mu per-channel population mean
 * @param sigma per-channel population standard deviation
 * @param dataSeed seed of the batches' random numbers
 */
public record BnCase(NetworkKind kind, Layout layout, VarianceParameterisation parameterisation, double decay,
                     int batch, int height, int width, double[] mu, double[] sigma, long dataSeed) {

    /** @return number of channels */
    public int channels() {
        return mu.length;
    }

    /** @return samples per channel in one batch, {@code m = batch * height * width} */
    public long samplesPerChannel() {
        return (long) batch * height * width;
    }

    /** @return the EMA window {@code 1/(1-decay)} */
    public double window() {
        return 1 / (1 - decay);
    }

    /** @return a batch source for this case's population */
    public GaussianBatches batches() {
        return new GaussianBatches(layout, batch, height, width, mu, sigma, dataSeed);
    }

    /** @return the single-BN network for this case */
    public BnNetwork network() {
        return TinyBnNetworks.singleBn(kind, layout, channels(), height, width, decay, parameterisation);
    }

    @Override
    public String toString() {
        return "BnCase{" + kind + ", " + layout + ", " + parameterisation + ", decay=" + decay + " (window "
                + String.format("%.1f", window()) + "), batch=" + batch + ", spatial=" + height + "x" + width
                + ", mu=" + Arrays.toString(mu) + ", sigma=" + Arrays.toString(sigma) + ", dataSeed=" + dataSeed + "}";
    }
}
