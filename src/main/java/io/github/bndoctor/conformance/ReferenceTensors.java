package io.github.bndoctor.conformance;

import io.github.bndoctor.dl4j.Layout;
import java.util.Locale;

/** Indexing of the reference's flat row-major tensors by BN channel. */
public final class ReferenceTensors {

    private ReferenceTensors() {
    }

    /** The layout named by the generator ({@code dense}, {@code nchw}, {@code nhwc}). */
    public static Layout parseLayout(String name) {
        return Layout.valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** Channel of the element at {@code flatIndex} (row-major) of a tensor with {@code shape} in {@code layout}. */
    public static int channelOf(Layout layout, int flatIndex, int[] shape) {
        return switch (layout) {
            case DENSE, NHWC -> flatIndex % shape[shape.length - 1];
            case NCHW -> (flatIndex / (shape[2] * shape[3])) % shape[1];
        };
    }

    /** The values as {@code samples[i][channel]}: one row per position (N, or N*H*W), one column per channel. */
    public static double[][] samplesByChannel(float[] values, Layout layout, int[] shape, int channels) {
        int m = values.length / channels;
        double[][] out = new double[m][channels];
        int[] filled = new int[channels];
        for (int i = 0; i < values.length; i++) {
            int c = channelOf(layout, i, shape);
            out[filled[c]++][c] = values[i];
        }
        return out;
    }
}
