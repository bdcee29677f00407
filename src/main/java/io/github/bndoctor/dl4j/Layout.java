package io.github.bndoctor.dl4j;

import org.deeplearning4j.nn.conf.CNN2DFormat;

/** The layout of a BN layer's input: which axis holds the channels. */
public enum Layout {
    /** Rank 2, {@code [batch, channels]}. */
    DENSE(1, new int[] {0}),
    /** Rank 4, {@code [batch, channels, height, width]}. */
    NCHW(1, new int[] {0, 2, 3}),
    /** Rank 4, {@code [batch, height, width, channels]}. */
    NHWC(3, new int[] {0, 1, 2});

    private final int channelAxis;
    private final int[] reductionAxes;

    Layout(int channelAxis, int[] reductionAxes) {
        this.channelAxis = channelAxis;
        this.reductionAxes = reductionAxes;
    }

    /** @return the axis that holds the channels */
    public int channelAxis() {
        return channelAxis;
    }

    /** @return the axes BN averages over (all but the channel axis) */
    public int[] reductionAxes() {
        return reductionAxes.clone();
    }

    /** @return the rank of arrays in this layout */
    public int rank() {
        return this == DENSE ? 2 : 4;
    }

    /**
     * @param rank rank of the BN input
     * @param format the layer's configured 2D format (used for rank 4)
     * @return the layout, or {@code null} for ranks BN does not support here
     */
    public static Layout of(int rank, CNN2DFormat format) {
        if (rank == 2) {
            return DENSE;
        }
        if (rank == 4) {
            return format == CNN2DFormat.NHWC ? NHWC : NCHW;
        }
        return null;
    }
}
