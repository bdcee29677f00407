package io.github.bndoctor.scenario;

import java.util.Random;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded synthetic 2D pose data: {@value ScenarioConfig#IMAGE_SIZE}x{@value ScenarioConfig#IMAGE_SIZE}
 * single-channel images with K keypoints drawn as distinguishable shapes on a Gaussian-noise
 * background, and Gaussian heatmap targets at the network's output resolution
 * ({@value ScenarioConfig#HEATMAP_SIZE}x{@value ScenarioConfig#HEATMAP_SIZE}, stride
 * {@value ScenarioConfig#OUTPUT_STRIDE}).
 *
 * <p>Layout is NCHW: features {@code [b, 1, 32, 32]}, labels {@code [b, K, 8, 8]}. Keypoint k is
 * drawn with shape k: 0 a filled disc, 1 a hollow square, 2 a plus, 3 a diagonal cross, each
 * about five pixels across with intensity {@value #BLOB_INTENSITY} over noise of standard
 * deviation {@value #NOISE_STD}. Keypoint centres are at least {@value #MIN_SEPARATION} pixels
 * apart and {@value #MARGIN} pixels from the border.
 *
 * <p>Coordinates: a keypoint at pixel-index position {@code (x, y)} (column, row) maps to
 * heatmap position {@code ((x - 1.5) / 4, (y - 1.5) / 4)}, since heatmap cell {@code u} covers
 * image columns {@code 4u .. 4u+3} whose centre is {@code 4u + 1.5}.
 *
 * <p>The training stream ({@link #nextBatch(int)}) and the held-out probe set
 * ({@link #probeSet(int)}) use independent random streams derived from the seed, so the probe
 * set is the same whatever was drawn from the training stream. Not thread-safe.
 */
public final class PoseDataGenerator implements ScenarioData {

    /** Background noise standard deviation. */
    public static final double NOISE_STD = 0.2;
    /** Intensity added by a keypoint shape. */
    public static final double BLOB_INTENSITY = 1.0;
    /** Minimum distance in pixels between two keypoint centres (two heatmap cells). */
    public static final double MIN_SEPARATION = 8.0;
    /** Minimum distance in pixels of a keypoint centre from the image border. */
    public static final double MARGIN = 3.0;

    private static final long PROBE_STREAM = 0x9E3779B97F4A7C15L;
    private static final int SIZE = ScenarioConfig.IMAGE_SIZE;
    private static final int HM = ScenarioConfig.HEATMAP_SIZE;
    private static final int STRIDE = ScenarioConfig.OUTPUT_STRIDE;

    private final long seed;
    private final int keypoints;
    private final double sigma;
    private final Random train;

    /**
     * @param seed seed of the training stream and the probe set
     * @param keypoints number of keypoints, 1 to {@value ScenarioConfig#MAX_KEYPOINTS}
     * @param sigma heatmap Gaussian sigma in heatmap pixels, &gt; 0
     * @throws IllegalArgumentException if keypoints or sigma are out of range
     */
    public PoseDataGenerator(long seed, int keypoints, double sigma) {
        if (keypoints < 1 || keypoints > ScenarioConfig.MAX_KEYPOINTS) {
            throw new IllegalArgumentException("keypoints must be in [1, " + ScenarioConfig.MAX_KEYPOINTS
                    + "], got " + keypoints);
        }
        if (!(sigma > 0.0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("sigma must be finite and > 0, got " + sigma);
        }
        this.seed = seed;
        this.keypoints = keypoints;
        this.sigma = sigma;
        this.train = new Random(seed);
    }

    /**
     * @param config the scenario configuration (seed, keypoints, sigma)
     * @return a generator for that configuration
     */
    public static PoseDataGenerator forConfig(ScenarioConfig config) {
        return new PoseDataGenerator(config.seed(), config.keypoints(), config.sigma());
    }

    /**
     * Draws the next training batch from the seeded training stream.
     *
     * @param batchSize number of samples, &gt;= 1
     * @return features {@code [b,1,32,32]}, labels {@code [b,K,8,8]} and the keypoint positions
     */
    public PoseBatch nextBatch(int batchSize) {
        return draw(train, batchSize);
    }

    @Override
    public DataSet trainingBatch(int size) {
        return nextBatch(size).dataSet();
    }

    @Override
    public DataSet probe(int size) {
        return probeSet(size).dataSet();
    }

    /**
     * The fixed held-out probe set: the same samples on every call for a given seed and size, and
     * independent of the training stream.
     *
     * @param size number of samples, &gt;= 1
     * @return the probe batch
     */
    public PoseBatch probeSet(int size) {
        return draw(new Random(seed ^ PROBE_STREAM), size);
    }

    private PoseBatch draw(Random rnd, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        float[] features = new float[batchSize * SIZE * SIZE];
        float[] labels = new float[batchSize * keypoints * HM * HM];
        double[][][] positions = new double[batchSize][keypoints][];
        for (int b = 0; b < batchSize; b++) {
            int imageOffset = b * SIZE * SIZE;
            for (int p = 0; p < SIZE * SIZE; p++) {
                features[imageOffset + p] = (float) (NOISE_STD * rnd.nextGaussian());
            }
            for (int k = 0; k < keypoints; k++) {
                double[] xy = placeKeypoint(rnd, positions[b], k);
                positions[b][k] = xy;
                addShape(features, imageOffset, k, xy[0], xy[1]);
                writeHeatmap(labels, (b * keypoints + k) * HM * HM, xy[0], xy[1]);
            }
        }
        DataSet ds = new DataSet(Nd4j.create(features, new long[] {batchSize, 1, SIZE, SIZE}),
                Nd4j.create(labels, new long[] {batchSize, keypoints, HM, HM}));
        return new PoseBatch(ds, positions);
    }

    private static double[] placeKeypoint(Random rnd, double[][] placed, int count) {
        double span = SIZE - 1 - 2 * MARGIN;
        while (true) {
            double x = MARGIN + span * rnd.nextDouble();
            double y = MARGIN + span * rnd.nextDouble();
            boolean clear = true;
            for (int j = 0; j < count; j++) {
                if (Math.hypot(placed[j][0] - x, placed[j][1] - y) < MIN_SEPARATION) {
                    clear = false;
                    break;
                }
            }
            if (clear) {
                return new double[] {x, y};
            }
        }
    }

    private void writeHeatmap(float[] labels, int offset, double x, double y) {
        double hx = toHeatmap(x);
        double hy = toHeatmap(y);
        double twoSigmaSq = 2 * sigma * sigma;
        for (int v = 0; v < HM; v++) {
            for (int u = 0; u < HM; u++) {
                double d2 = (u - hx) * (u - hx) + (v - hy) * (v - hy);
                labels[offset + v * HM + u] = (float) Math.exp(-d2 / twoSigmaSq);
            }
        }
    }

    /**
     * Maps a pixel-index coordinate to heatmap coordinates.
     *
     * @param pixel coordinate in image pixels (pixel centres at integers)
     * @return the coordinate in heatmap cells (cell centres at integers)
     */
    public static double toHeatmap(double pixel) {
        return (pixel - (STRIDE - 1) / 2.0) / STRIDE;
    }

    /**
     * Renders keypoint shape {@code k} centred at {@code (x, y)} on a zero background, without
     * noise; used by {@link PoseDataGenerator} and by tests that compare the shapes.
     *
     * @param k shape index, 0 to {@value ScenarioConfig#MAX_KEYPOINTS} - 1
     * @param x centre column in pixels
     * @param y centre row in pixels
     * @return a row-major {@code 32*32} image
     */
    public static float[] renderShape(int k, double x, double y) {
        if (k < 0 || k >= ScenarioConfig.MAX_KEYPOINTS) {
            throw new IllegalArgumentException("shape index must be in [0, " + ScenarioConfig.MAX_KEYPOINTS
                    + "), got " + k);
        }
        float[] image = new float[SIZE * SIZE];
        addShape(image, 0, k, x, y);
        return image;
    }

    private static void addShape(float[] image, int offset, int k, double x, double y) {
        int x0 = (int) Math.floor(x) - 3;
        int y0 = (int) Math.floor(y) - 3;
        for (int row = Math.max(0, y0); row <= Math.min(SIZE - 1, y0 + 7); row++) {
            for (int col = Math.max(0, x0); col <= Math.min(SIZE - 1, x0 + 7); col++) {
                if (inside(k, col - x, row - y)) {
                    image[offset + row * SIZE + col] += (float) BLOB_INTENSITY;
                }
            }
        }
    }

    private static boolean inside(int k, double dx, double dy) {
        double ax = Math.abs(dx);
        double ay = Math.abs(dy);
        double cheb = Math.max(ax, ay);
        return switch (k) {
            case 0 -> dx * dx + dy * dy <= 2.25 * 2.25;            // filled disc
            case 1 -> cheb >= 1.5 && cheb <= 2.5;                  // hollow square
            case 2 -> (ax <= 0.5 && ay <= 2.5) || (ay <= 0.5 && ax <= 2.5); // plus
            case 3 -> Math.abs(ax - ay) <= 0.5 && cheb <= 2.5;    // diagonal cross
            default -> throw new IllegalStateException("no shape " + k);
        };
    }

    /**
     * A generated batch with the keypoint positions it was drawn from.
     *
     * @param dataSet features {@code [b,1,32,32]} and heatmap labels {@code [b,K,8,8]}
     * @param keypoints per sample, per keypoint, {@code {x, y}} in image pixels
     */
    public record PoseBatch(DataSet dataSet, double[][][] keypoints) {
    }
}
