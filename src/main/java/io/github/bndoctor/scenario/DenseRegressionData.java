package io.github.bndoctor.scenario;

import java.util.Random;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded synthetic regression data for the dense scenario: inputs {@code x ~ N(0, I)} in
 * {@value #INPUTS} dimensions and one target from a fixed random teacher network,
 * {@code y = sum_j v_j tanh(u_j . x) + noise}, with {@value #TEACHER_UNITS} teacher units,
 * {@code u_j ~ N(0, I / INPUTS)}, {@code v_j ~ N(0, 1 / TEACHER_UNITS)} (so {@code Var y} is of
 * order 0.5) and Gaussian noise of standard deviation {@value #NOISE_STD}.
 *
 * <p>The teacher is drawn from the seed, the training stream and the probe set from independent
 * streams derived from it, so the probe set is the same whatever was drawn for training.
 * Features {@code [b, INPUTS]}, labels {@code [b, 1]}. Not thread-safe.
 */
public final class DenseRegressionData implements ScenarioData {

    /** Input dimension. */
    public static final int INPUTS = 16;
    /** Hidden units of the teacher. */
    public static final int TEACHER_UNITS = 8;
    /** Standard deviation of the label noise. */
    public static final double NOISE_STD = 0.05;

    private static final long PROBE_STREAM = 0x9E3779B97F4A7C15L;
    private static final long TEACHER_STREAM = 0x632BE59BD9B4E019L;

    private final long seed;
    private final double[][] u = new double[TEACHER_UNITS][INPUTS];
    private final double[] v = new double[TEACHER_UNITS];
    private final Random train;

    /** @param seed seed of the teacher, the training stream and the probe set */
    public DenseRegressionData(long seed) {
        this.seed = seed;
        Random t = new Random(seed ^ TEACHER_STREAM);
        for (int j = 0; j < TEACHER_UNITS; j++) {
            for (int i = 0; i < INPUTS; i++) {
                u[j][i] = t.nextGaussian() / Math.sqrt(INPUTS);
            }
            v[j] = t.nextGaussian() / Math.sqrt(TEACHER_UNITS);
        }
        this.train = new Random(seed);
    }

    /**
     * @param x an input of {@value #INPUTS} values
     * @return the noise-free teacher output
     */
    public double teacher(double[] x) {
        if (x.length != INPUTS) {
            throw new IllegalArgumentException("input must have " + INPUTS + " values, got " + x.length);
        }
        double y = 0;
        for (int j = 0; j < TEACHER_UNITS; j++) {
            double a = 0;
            for (int i = 0; i < INPUTS; i++) {
                a += u[j][i] * x[i];
            }
            y += v[j] * Math.tanh(a);
        }
        return y;
    }

    @Override
    public DataSet trainingBatch(int size) {
        return draw(train, size);
    }

    @Override
    public DataSet probe(int size) {
        return draw(new Random(seed ^ PROBE_STREAM), size);
    }

    private DataSet draw(Random rnd, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be >= 1, got " + size);
        }
        float[] features = new float[size * INPUTS];
        float[] labels = new float[size];
        double[] x = new double[INPUTS];
        for (int b = 0; b < size; b++) {
            for (int i = 0; i < INPUTS; i++) {
                x[i] = rnd.nextGaussian();
                features[b * INPUTS + i] = (float) x[i];
            }
            labels[b] = (float) (teacher(x) + NOISE_STD * rnd.nextGaussian());
        }
        return new DataSet(Nd4j.create(features, new long[] {size, INPUTS}), Nd4j.create(labels, new long[] {size, 1}));
    }
}
