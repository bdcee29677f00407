package io.github.bndoctor.io;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link NpyFile} and {@link ArrayFile} on files whose bytes the test lays out by hand from the
 * format specification (NumPy's {@code numpy.lib.format}), so the expected values never come from
 * the reader.
 */
@Tag("unit")
final class NpyFileTest {
    @TempDir
    Path dir;

    /** The 2x3 matrix {{0, 1, 2}, {3, 4, 5}} plus 10 times the row, for distinct values. */
    private static double value(int i, int j) {
        return 10 * i + j;
    }

    static Path npy(Path file, int major, String header, byte[] body) throws IOException {
        return NpyBytes.write(file, major, header, body);
    }

    static String header(String descr, boolean fortran, String shape) {
        return NpyBytes.header(descr, fortran, shape);
    }

    /** Body of the 2x3 matrix as float32/float64 in the given order. */
    private static byte[] matrix(ByteOrder order, int size, boolean fortran) {
        ByteBuffer b = ByteBuffer.allocate(6 * size).order(order);
        for (int k = 0; k < 6; k++) {
            int i = fortran ? k % 2 : k / 3;
            int j = fortran ? k / 2 : k % 3;
            if (size == 4) {
                b.putFloat((float) value(i, j));
            } else {
                b.putDouble(value(i, j));
            }
        }
        return b.array();
    }

    private static double[] expectedMatrix() {
        double[] v = new double[6];
        for (int k = 0; k < 6; k++) {
            v[k] = value(k / 3, k % 3);
        }
        return v;
    }

    @Test
    void littleAndBigEndianCAndFortranOrderGiveTheSameMatrix() throws IOException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            for (int size : new int[] {4, 8}) {
                for (boolean fortran : new boolean[] {false, true}) {
                    String descr = (order == ByteOrder.BIG_ENDIAN ? ">" : "<") + "f" + size;
                    for (int major = 1; major <= 3; major++) {
                        Path f = npy(dir.resolve("m.npy"), major, header(descr, fortran, "(2, 3)"),
                                matrix(order, size, fortran));
                        ArrayFile a = NpyFile.open(f);
                        assertThat(a.shape()).containsExactly(2, 3);
                        assertThat(a.readDoubles(0, 2)).as(descr + " fortran=" + fortran).containsExactly(expectedMatrix());
                        assertThat(a.readFloats(1, 1)).containsExactly(10f, 11f, 12f);
                    }
                }
            }
        }
    }

    @Test
    void fortranOrderOfRankThreeIsRowMajorAfterReading() throws IOException {
        // shape (3, 2, 4): element (i, j, k) stored at i + 3 * (j + 2 * k) holds 100i + 10j + k
        ByteBuffer b = ByteBuffer.allocate(24 * 8).order(ByteOrder.LITTLE_ENDIAN);
        double[] stored = new double[24];
        double[] expected = new double[24];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 4; k++) {
                    stored[i + 3 * (j + 2 * k)] = 100 * i + 10 * j + k;
                    expected[(i * 2 + j) * 4 + k] = 100 * i + 10 * j + k;
                }
            }
        }
        for (double v : stored) {
            b.putDouble(v);
        }
        ArrayFile a = NpyFile.open(npy(dir.resolve("f.npy"), 1, header("<f8", true, "(3, 2, 4)"), b.array()));
        assertThat(a.readDoubles(0, 3)).containsExactly(expected);
        double[] middle = new double[16];
        System.arraycopy(expected, 8, middle, 0, 16);
        assertThat(a.readDoubles(1, 2)).containsExactly(middle);
    }

    @Test
    void halfPrecisionAndIntegerTypesConvertExactly() throws IOException {
        // binary16: 0x3c00 = 1, 0xc000 = -2, 0x3555 = 0.333251953125, 0x0001 = 2^-24, 0x7bff = 65504
        ByteBuffer h = ByteBuffer.allocate(10).order(ByteOrder.BIG_ENDIAN);
        h.putShort((short) 0x3c00).putShort((short) 0xc000).putShort((short) 0x3555).putShort((short) 0x0001)
                .putShort((short) 0x7bff);
        assertThat(NpyFile.open(npy(dir.resolve("h.npy"), 1, header(">f2", false, "(5, 1)"), h.array())).readDoubles(0, 5))
                .containsExactly(1, -2, 0.333251953125, Math.pow(2, -24), 65504);
        ByteBuffer i = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).putLong(-1);
        assertThat(NpyFile.open(npy(dir.resolve("i8.npy"), 1, header("<i8", false, "(2, 1)"), i.array())).readDoubles(0, 2))
                .containsExactly(-5, -1);
        assertThat(NpyFile.open(npy(dir.resolve("u8.npy"), 1, header("<u8", false, "(2, 1)"), i.array())).readDoubles(0, 2))
                .containsExactly(18446744073709551611.0, 18446744073709551615.0);
        byte[] bytes = {(byte) 0xff, 0x7f, 0x01, 0x00};
        assertThat(NpyFile.open(npy(dir.resolve("u1.npy"), 1, header("|u1", false, "(2, 2)"), bytes)).readDoubles(0, 2))
                .containsExactly(255, 127, 1, 0);
        assertThat(NpyFile.open(npy(dir.resolve("i1.npy"), 1, header("|i1", false, "(2, 2)"), bytes)).readDoubles(0, 2))
                .containsExactly(-1, 127, 1, 0);
        ByteBuffer s = ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putShort((short) -3).putShort((short) 0x8000);
        assertThat(NpyFile.open(npy(dir.resolve("i2.npy"), 1, header(">i2", false, "(2, 1)"), s.array())).readDoubles(0, 2))
                .containsExactly(-3, -32768);
        assertThat(NpyFile.open(npy(dir.resolve("u2.npy"), 1, header(">u2", false, "(2, 1)"), s.array())).readDoubles(0, 2))
                .containsExactly(65533, 32768);
    }

    private void assertRefused(Path f, String... mentions) {
        assertThatThrownBy(() -> NpyFile.open(f).readDoubles(0, 1)).isInstanceOf(InputFileException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContainingAll(mentions);
    }

    @Test
    void refusesUnsupportedElementTypes() throws IOException {
        for (String descr : new String[] {"<U5", "|O", "|S3", "<c8", "<M8[ns]", "|V8", "=f4", "f4", "|f4"}) {
            assertRefused(npy(dir.resolve("t.npy"), 1, header(descr, false, "(2, 1)"), new byte[40]),
                    "unsupported .npy element type '" + descr + "'");
        }
        assertRefused(npy(dir.resolve("s.npy"), 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
                new byte[8]), "structured");
    }

    @Test
    void refusesMalformedHeaders() throws IOException {
        byte[] body = new byte[8];
        assertRefused(npy(dir.resolve("a.npy"), 1, "{'descr': '<f4', 'shape': (2, 1), }", body), "no 'fortran_order' key");
        assertRefused(npy(dir.resolve("b.npy"), 1, header("<f4", false, "(2, 1)").replace("}", "'x': 1, }"), body),
                "malformed");
        assertRefused(npy(dir.resolve("c.npy"), 1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 1)}",
                body), "appears twice");
        assertRefused(npy(dir.resolve("d.npy"), 1, header("<f4", false, "(2, -1)"), body), "non-integer");
        assertRefused(npy(dir.resolve("e.npy"), 1, header("<f4", false, "(2 1)"), body), "malformed");
        assertRefused(npy(dir.resolve("f.npy"), 1, header("<f4", false, "2"), body), "malformed");
        assertRefused(npy(dir.resolve("g.npy"), 1, header("<f4", false, "(2, 1)") + " junk", body), "text after");
        assertRefused(npy(dir.resolve("h.npy"), 1, header("<f4", false, "(99999999999999999999, 1)"), body), "too large");
        assertRefused(npy(dir.resolve("i.npy"), 1, header("<f4", false, "(4294967296, 4294967296, 4294967296)"), body),
                "more elements than a file can hold");
        assertRefused(npy(dir.resolve("j.npy"), 4, header("<f4", false, "(2, 1)"), body), "version 4.0");
    }

    @Test
    void refusesBadMagicAndHeaderLengthBeyondTheFile() throws IOException {
        Path f = Files.write(dir.resolve("x.npy"), "not numpy at all".getBytes(StandardCharsets.US_ASCII));
        assertRefused(f, "magic");
        byte[] bytes = Files.readAllBytes(npy(dir.resolve("y.npy"), 1, header("<f4", false, "(2, 1)"), new byte[8]));
        bytes[8] = (byte) 0xff;
        bytes[9] = (byte) 0xff;
        assertRefused(Files.write(dir.resolve("y.npy"), bytes), "header claims 65535 bytes but the file has only "
                + (bytes.length - 10));
        assertRefused(Files.write(dir.resolve("z.npy"), new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 1}), "magic");
    }

    @Test
    void bodyLengthMustBeExactNamingBothNumbers() throws IOException {
        // shape (2, 3) of <f4 needs 24 bytes: one less, one more and none are refused
        for (int n : new int[] {23, 25, 0}) {
            assertRefused(npy(dir.resolve("b" + n + ".npy"), 1, header("<f4", false, "(2, 3)"), new byte[n]),
                    "body has " + n + " bytes", "needs exactly 24 bytes");
        }
        assertThat(NpyFile.open(npy(dir.resolve("ok.npy"), 1, header("<f4", false, "(2, 3)"), new byte[24])).bodyBytes())
                .isEqualTo(24);
    }

    @Test
    void readsAreCheckedAgainstTheLimitBeforeAllocating() throws IOException {
        ArrayFile a = NpyFile.open(npy(dir.resolve("m.npy"), 1, header("<f4", false, "(2, 3)"),
                matrix(ByteOrder.LITTLE_ENDIAN, 4, false)));
        // 2 examples of 3 doubles = 48 bytes: at the limit it reads, one byte under it is refused
        assertThat(a.withReadLimit(48).readDoubles(0, 2)).hasSize(6);
        assertThatThrownBy(() -> a.withReadLimit(47).readDoubles(0, 2)).isInstanceOf(InputFileException.class)
                .hasMessageContaining("need 48 bytes in memory, over the limit of 47");
        assertThat(a.withReadLimit(24).readFloats(0, 2)).hasSize(6);
    }

    @Test
    void nonFiniteValuesAreRefusedNamingTheExample() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(Float.NaN);
        ArrayFile a = NpyFile.open(npy(dir.resolve("nan.npy"), 1, header("<f4", false, "(3, 1)"), b.array()));
        assertThat(a.readDoubles(0, 2)).containsExactly(1, 2);
        assertThatThrownBy(() -> a.readDoubles(1, 2)).isInstanceOf(InputFileException.class)
                .hasMessageContaining("example 2 holds a non-finite value");
    }
}
