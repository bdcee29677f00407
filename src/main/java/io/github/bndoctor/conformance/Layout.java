package io.github.bndoctor.conformance;

import java.util.Locale;

/** Memory layout of a reference tensor, stored flat in row-major order. */
public enum Layout {
    /** {@code [N, C]}: a dense (feed-forward) activation. */
    DENSE,
    /** {@code [N, C, H, W]}: channels first. */
    NCHW,
    /** {@code [N, H, W, C]}: channels last. */
    NHWC;

    /** Parses the generator's lower-case layout name. */
    public static Layout parse(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** Index of the channel axis in a shape of this layout. */
    public int channelAxis() {
        return this == NHWC ? 3 : 1;
    }

    /** Channel that the element at {@code flatIndex} (row-major) of a tensor with {@code shape} belongs to. */
    public int channelOf(int flatIndex, int[] shape) {
        return switch (this) {
            case DENSE, NHWC -> flatIndex % shape[shape.length - 1];
            case NCHW -> (flatIndex / (shape[2] * shape[3])) % shape[1];
        };
    }
}
