package io.github.bndoctor.scenario;

import java.util.Random;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded synthetic images for the {@link NetworkFamily} corpus: one of {@link PoseDataGenerator}'s
 * four keypoint shapes ({@link PoseDataGenerator#renderShape}) at a random position on Gaussian
 * noise, drawn at {@value ScenarioConfig#IMAGE_SIZE}x{@value ScenarioConfig#IMAGE_SIZE} and averaged
 * over 2x2 pixels to {@value #SIDE}x{@value #SIDE}, one channel.
 *
 * <p>Two tasks on the same images: {@link Task#REGRESSION}, the shape's centre as {@code (x, y)}
 * scaled to [0, 1] (labels {@code [b, 2]}, for a sigmoid head), and {@link Task#CLASSIFICATION},
 * which shape it is (one-hot labels {@code [b, 4]}, for a softmax head). Features are
 * {@code [b, 1, 16, 16]} (NCHW) or {@code [b, 16, 16, 1]} (NHWC). The training stream and the probe
 * set use independent random streams derived from the seed, so the probe set is the same whatever
 * was drawn from the stream. Not thread-safe.
 */
public final class ShapeImages implements ScenarioData {
    /** Image side after 2x2 averaging. */
    public static final int SIDE = ScenarioConfig.IMAGE_SIZE / 2;
    /** Number of classes of {@link Task#CLASSIFICATION}: the generator's shapes. */
    public static final int CLASSES = ScenarioConfig.MAX_KEYPOINTS;

    private static final long PROBE_STREAM = 0x9E3779B97F4A7C15L;
    private static final int FULL = ScenarioConfig.IMAGE_SIZE;

    /** What the labels are. */
    public enum Task {
        /** The shape's centre, {@code (x, y)} in [0, 1]. */
        REGRESSION,
        /** The shape's index, one-hot. */
        CLASSIFICATION;

        /** @return label columns */
        public int outputs() {
            return this == REGRESSION ? 2 : CLASSES;
        }
    }

    private final long seed;
    private final Task task;
    private final boolean nhwc;
    private final Random train;

    /**
     * @param seed seed of the training stream and the probe set
     * @param task the labels
     * @param nhwc features channels-last
     */
    public ShapeImages(long seed, Task task, boolean nhwc) {
        this.seed = seed;
        this.task = java.util.Objects.requireNonNull(task);
        this.nhwc = nhwc;
        this.train = new Random(seed);
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
            throw new IllegalArgumentException("batch size must be >= 1, got " + size);
        }
        float[] features = new float[size * SIDE * SIDE];
        float[] labels = new float[size * task.outputs()];
        double span = FULL - 1 - 2 * PoseDataGenerator.MARGIN;
        for (int b = 0; b < size; b++) {
            int shape = rnd.nextInt(CLASSES);
            double x = PoseDataGenerator.MARGIN + span * rnd.nextDouble();
            double y = PoseDataGenerator.MARGIN + span * rnd.nextDouble();
            float[] full = PoseDataGenerator.renderShape(shape, x, y);
            for (int p = 0; p < full.length; p++) {
                full[p] += (float) (PoseDataGenerator.NOISE_STD * rnd.nextGaussian());
            }
            for (int r = 0; r < SIDE; r++) {
                for (int c = 0; c < SIDE; c++) {
                    int i = 2 * r * FULL + 2 * c;
                    features[b * SIDE * SIDE + r * SIDE + c] = (full[i] + full[i + 1] + full[i + FULL] + full[i + FULL + 1]) / 4;
                }
            }
            if (task == Task.REGRESSION) {
                labels[2 * b] = (float) (x / (FULL - 1));
                labels[2 * b + 1] = (float) (y / (FULL - 1));
            } else {
                labels[CLASSES * b + shape] = 1;
            }
        }
        long[] shape = nhwc ? new long[] {size, SIDE, SIDE, 1} : new long[] {size, 1, SIDE, SIDE};
        return new DataSet(Nd4j.create(features, shape), Nd4j.create(labels, new long[] {size, task.outputs()}));
    }
}
