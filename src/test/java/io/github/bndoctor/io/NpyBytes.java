package io.github.bndoctor.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Lays out {@code .npy} files byte by byte from NumPy's format specification ({@code numpy.lib.format}),
 * so tests can build valid and malformed files without the reader under test.
 */
public final class NpyBytes {
    private NpyBytes() {
    }

    /**
     * @param file where to write
     * @param major format version (1: 2-byte header length; 2 and 3: 4-byte)
     * @param header the header dictionary text (padded with spaces and a newline here)
     * @param body the body bytes
     * @return the file
     * @throws IOException on a write error
     */
    public static Path write(Path file, int major, String header, byte[] body) throws IOException {
        byte[] h = header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int pre = major == 1 ? 10 : 12;
        int pad = (64 - (pre + h.length + 1) % 64) % 64;
        ByteBuffer b = ByteBuffer.allocate(pre + h.length + pad + 1 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) (h.length + pad + 1));
        } else {
            b.putInt(h.length + pad + 1);
        }
        b.put(h);
        for (int i = 0; i < pad; i++) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n').put(body);
        Files.write(file, b.array());
        return file;
    }

    /**
     * @param descr the element type, e.g. {@code <f4}
     * @param fortran column-major
     * @param shape the shape as Python tuple text, e.g. {@code (2, 3)}
     * @return the header dictionary text
     */
    public static String header(String descr, boolean fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape
                + ", }";
    }

    /**
     * @param values a row-major {@code rows x cols} matrix
     * @param rows rows
     * @param cols columns
     * @param order byte order
     * @param fortran store column-major
     * @return the float32 body
     */
    public static byte[] float32(float[] values, int rows, int cols, ByteOrder order, boolean fortran) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(order);
        for (int k = 0; k < values.length; k++) {
            int i = fortran ? k % rows : k / cols;
            int j = fortran ? k / rows : k % cols;
            b.putFloat(values[i * cols + j]);
        }
        return b.array();
    }
}
