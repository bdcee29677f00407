package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.stats.MeanVariance;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Small networks and data shared by the probe, monitor and remedy tests. */
public final class ProbeFixtures {
    private ProbeFixtures() {
    }

    /**
     * @param kind network type
     * @param layout layout
     * @return a two-block network with Adam 1e-2 and decay 0.9
     */
    public static BnNetwork net(NetworkKind kind, Layout layout) {
        return TinyBnNetworks.twoBlocks(kind, layout, 2, 4, size(layout), 0.9, VarianceParameterisation.LOG10_STDEV,
                new Adam(1e-2), 5);
    }

    static int size(Layout layout) {
        return layout == Layout.DENSE ? 1 : 4;
    }

    /**
     * @param layout layout
     * @param n number of batches
     * @param seed seed
     * @return batches of 8 inputs with 2 channels
     */
    public static List<INDArray[]> batches(Layout layout, int n, long seed) {
        GaussianBatches g = new GaussianBatches(layout, 8, size(layout), size(layout), new double[] {1, -0.5},
                new double[] {2, 0.5}, seed);
        List<INDArray[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new INDArray[] {g.next()});
        }
        return out;
    }

    /**
     * @param features inputs
     * @param seed seed
     * @return one-hot labels for a 2-class output, chosen by the sign of the first feature's mean
     */
    public static INDArray labels(INDArray features, long seed) {
        int b = (int) features.size(0);
        INDArray y = Nd4j.zeros(DataType.FLOAT, b, 2);
        for (int i = 0; i < b; i++) {
            double m = features.slice(i).meanNumber().doubleValue();
            y.putScalar(i, m > 0 ? 1 : 0, 1.0);
        }
        return y;
    }

    /**
     * The input of the {@code li}-th BN layer of a {@link TinyBnNetworks#twoBlocks} network in
     * training mode, from the network's own {@code feedForward} (not from bn-doctor's capture).
     *
     * @param net a two-block network
     * @param x a batch
     * @param li 0 or 1
     * @return that BN layer's input
     */
    public static INDArray bnInput(BnNetwork net, INDArray x, int li) {
        if (net.model() instanceof MultiLayerNetwork mln) {
            return mln.feedForward(x, true).get(li == 0 ? 1 : 4); // outputs of layers 0 and 3
        }
        // the array form: in this suite the single-array feedForward(INDArray, boolean) of a graph
        // returned activations that disagreed with it after other passes (DL4J 1.0.0-M2.1; not pinned down)
        return ((ComputationGraph) net.model()).feedForward(new INDArray[] {x}, true).get(li == 0 ? "l0" : "l3");
    }

    /**
     * @param a activations
     * @param layout their layout
     * @return one row per (example, position), one column per channel
     */
    public static List<double[]> channelRows(INDArray a, Layout layout) {
        INDArray x = a.castTo(DataType.DOUBLE);
        if (layout == Layout.NCHW) {
            x = x.permute(0, 2, 3, 1);
        }
        int channels = (int) x.size(x.rank() - 1);
        double[] flat = x.dup('c').data().asDouble();
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < flat.length; i += channels) {
            rows.add(Arrays.copyOfRange(flat, i, i + channels));
        }
        return rows;
    }

    /**
     * Population mean and biased variance of the {@code li}-th BN layer's training-mode input over
     * all the batches, by a direct two-pass double loop: the independent route to precise statistics.
     *
     * @param net a two-block network
     * @param batches batches
     * @param layout their layout
     * @param li 0 or 1
     * @return pooled statistics
     */
    public static MeanVariance pooledBnInput(BnNetwork net, List<INDArray[]> batches, Layout layout, int li) {
        List<double[]> rows = new ArrayList<>();
        for (INDArray[] b : batches) {
            rows.addAll(channelRows(bnInput(net, b[0], li), layout));
        }
        int c = rows.get(0).length;
        double[] mean = new double[c];
        double[] var = new double[c];
        for (double[] r : rows) {
            for (int j = 0; j < c; j++) {
                mean[j] += r[j] / rows.size();
            }
        }
        for (double[] r : rows) {
            for (int j = 0; j < c; j++) {
                var[j] += (r[j] - mean[j]) * (r[j] - mean[j]) / rows.size();
            }
        }
        return new MeanVariance(mean, var);
    }
}
