package com.example;

import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

/** The user's own data: a noisy linear regression on unstandardized features. */
final class MyData {
    static final int FEATURES = 4;
    private static final int TRAINING_EXAMPLES = 512;

    private MyData() {
    }

    static DataSet heldOut(int n) {
        return draw(n, 2);
    }

    /** A fresh iterator over the same training examples, in batches of {@code batch}. */
    static DataSetIterator training(int batch) {
        return new ListDataSetIterator<>(draw(TRAINING_EXAMPLES, 1).asList(), batch);
    }

    private static DataSet draw(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        INDArray x = Nd4j.zeros(DataType.FLOAT, n, FEATURES);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 1);
        for (int i = 0; i < n; i++) {
            double target = 0;
            for (int f = 0; f < FEATURES; f++) {
                double v = 3 + 2 * f + (1 + f) * gaussian(r);
                x.putScalar(i, f, v);
                target += (f % 2 == 0 ? 0.5 : -0.25) * v;
            }
            y.putScalar(i, 0, target + 0.5 * gaussian(r));
        }
        return new DataSet(x, y);
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
