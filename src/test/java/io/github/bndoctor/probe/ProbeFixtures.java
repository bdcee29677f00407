package io.github.bndoctor.probe;

import io.github.bndoctor.dl4j.BnNetwork;
import io.github.bndoctor.dl4j.Layout;
import io.github.bndoctor.dl4j.VarianceParameterisation;
import io.github.bndoctor.testkit.GaussianBatches;
import io.github.bndoctor.testkit.NetworkKind;
import io.github.bndoctor.testkit.TinyBnNetworks;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
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
}
