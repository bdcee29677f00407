package io.github.bndoctor.scenario;

import java.util.Random;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded synthetic regression data for the dense scenario: unstandardised inputs
 * {@code x_i = m_i + s_i z_i} in {@value #INPUTS} dimensions, {@code z ~ N(0, I)}, with per-feature
 * offsets {@code m_i ~ U(-OFFSET, OFFSET)} and scales {@code s_i} log-uniform in
 * [{@value #MIN_SCALE}, {@value #MAX_SCALE}] fixed by the seed, and one target from a fixed random
 * teacher network on the standardised {@code z}, {@code y = sum_j v_j tanh(u_j . z) + noise}, with
 * {@value #TEACHER_UNITS} teacher units,
 * {@code u_j ~ N(0, I / INPUTS)}, {@code v_j ~ N(0, 1 / TEACHER_UNITS)} (so {@code Var y} is of
 * order 0.5) and Gaussian noise of standard deviation {@value #NOISE_STD}.
 *
 * <p>The offsets and scales matter: with isotropic inputs a first layer's pre-activation
 * {@code w . x} has mean 0 and variance {@code |w|^2} whatever the direction of {@code w}, so
 * rotating weights would not move its batch statistics at all; raw features of unequal scale and
 * offset make the statistics depend on the direction, as in real tabular data.
 *
 * <p>The task (teacher, offsets, scales) is drawn from the task seed, the training stream and the
 * probe set from independent streams derived from the stream seed, so the probe set is the same whatever was drawn for training.
 * Features {@code [b, INPUTS]}, labels {@code [b, 1]}. Not thread-safe.
 */
public final class DenseRegressionData implements ScenarioData {

    /** Input dimension. */
    public static final int INPUTS = 16;
    /** Hidden units of the teacher. */
    public static final int TEACHER_UNITS = 8;
    /** Standard deviation of the label noise. */
    public static final double NOISE_STD = 0.05;
    /** Largest absolute feature offset. */
    public static final double OFFSET = 2.0;
    /** Smallest feature scale. */
    public static final double MIN_SCALE = 0.2;
    /** Largest feature scale. */
    public static final double MAX_SCALE = 3.0;

    private static final long PROBE_STREAM = 0x9E3779B97F4A7C15L;
    private static final long TEACHER_STREAM = 0x632BE59BD9B4E019L;

    private final long seed;
    private final double[][] u = new double[TEACHER_UNITS][INPUTS];
    private final double[] v = new double[TEACHER_UNITS];
    private final double[] offset = new double[INPUTS];
    private final double[] scale = new double[INPUTS];
    private final Random train;

    /** @param seed seed of the task (teacher, feature offsets and scales), the training stream and the probe set */
    public DenseRegressionData(long seed) {
        this(seed, seed);
    }

    /**
     * Another sample stream of the same task: warm-start and precise-statistics samples must come
     * from the task being trained, only from a stream of their own.
     *
     * @param taskSeed seed of the teacher and the feature offsets and scales
     * @param streamSeed seed of the training stream and the probe set
     */
    public DenseRegressionData(long taskSeed, long streamSeed) {
        this.seed = streamSeed;
        Random t = new Random(taskSeed ^ TEACHER_STREAM);
        for (int j = 0; j < TEACHER_UNITS; j++) {
            for (int i = 0; i < INPUTS; i++) {
                u[j][i] = t.nextGaussian() / Math.sqrt(INPUTS);
            }
            v[j] = t.nextGaussian() / Math.sqrt(TEACHER_UNITS);
        }
        for (int i = 0; i < INPUTS; i++) {
            offset[i] = OFFSET * (2 * t.nextDouble() - 1);
            scale[i] = MIN_SCALE * Math.exp(Math.log(MAX_SCALE / MIN_SCALE) * t.nextDouble());
        }
        this.train = new Random(streamSeed);
    }

    /**
     * @param i a feature index
     * @return {@code {m_i, s_i}}: the feature's offset and scale
     */
    public double[] feature(int i) {
        return new double[] {offset[i], scale[i]};
    }

    /**
     * @param x a standardised input {@code z} of {@value #INPUTS} values
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
                features[b * INPUTS + i] = (float) (offset[i] + scale[i] * x[i]);
            }
            labels[b] = (float) (teacher(x) + NOISE_STD * rnd.nextGaussian());
        }
        return new DataSet(Nd4j.create(features, new long[] {size, INPUTS}), Nd4j.create(labels, new long[] {size, 1}));
    }
}
