package io.github.bndoctor.io;

import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The central-directory walk counts what java.util.zip counts, stops one past its limit, and
 * ModelZip refuses a zip over the entry limit, a CRC mismatch and overlapping entries.
 */
@Tag("unit")
class CentralDirectoryTest {
    @TempDir
    Path dir;

    private Path zip(String name, int n, boolean zip64) throws IOException {
        Path file = dir.resolve(name);
        try (ZipArchiveOutputStream z = new ZipArchiveOutputStream(file.toFile())) {
            if (zip64) {
                z.setUseZip64(org.apache.commons.compress.archivers.zip.Zip64Mode.Always);
            }
            for (int i = 0; i < n; i++) {
                ZipArchiveEntry e = new ZipArchiveEntry("e" + i + "x".repeat(i % 7));
                z.putArchiveEntry(e);
                z.write(new byte[i % 5]);
                z.closeArchiveEntry();
            }
        }
        return file;
    }

    @Test
    void countsEveryEntryAndStopsOnePastTheLimit() throws IOException {
        for (boolean zip64 : new boolean[] {false, true}) {
            Path z = zip("z" + zip64 + ".zip", 300, zip64);
            // independent count: java.util.zip's reader
            int expected;
            try (java.util.zip.ZipFile j = new java.util.zip.ZipFile(z.toFile())) {
                expected = j.size();
            }
            assertThat(expected).isEqualTo(300);
            assertThat(CentralDirectory.countEntries(z, 1000)).as("zip64 " + zip64).isEqualTo(300);
            assertThat(CentralDirectory.countEntries(z, 300)).isEqualTo(300);
            assertThat(CentralDirectory.countEntries(z, 299)).isEqualTo(300);
            assertThat(CentralDirectory.countEntries(z, 10)).isEqualTo(11);
        }
        assertThat(CentralDirectory.countEntries(Files.write(dir.resolve("junk"), new byte[100]), 10)).isZero();
    }

    @Test
    void aStoredEntryWithAWrongCrcFailsWhenReadToItsEnd() throws IOException {
        byte[] data = "configuration".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(data);
        for (long stored : new long[] {crc.getValue(), crc.getValue() ^ 1}) {
            CrcCheckedStream in = new CrcCheckedStream(new ByteArrayInputStream(data), stored, data.length,
                    () -> new IllegalStateException("mismatch"));
            if (stored == crc.getValue()) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            } else {
                assertThatThrownBy(in::readAllBytes).hasMessage("mismatch");
            }
        }
        // a size that differs is a mismatch too
        CrcCheckedStream shorter = new CrcCheckedStream(new ByteArrayInputStream(data), crc.getValue(), data.length + 1,
                () -> new IllegalStateException("size"));
        assertThatThrownBy(shorter::readAllBytes).hasMessage("size");
    }

    @Test
    void modelZipRefusesAZipOverTheEntryLimitBeforeReadingIt() throws IOException {
        Path z = zip("many.zip", 120, false);
        ModelZip.Limits d = ModelZip.Limits.defaults();
        assertThatThrownBy(() -> ModelZip.load(z, new ModelZip.Limits(d.configurationBytes(), d.parameterBytes(),
                d.totalBytes(), 119))).isInstanceOf(InputFileException.class).hasMessageContaining("more than 119 zip entries");
        // at the limit the count passes and the missing configuration is what is reported
        assertThatThrownBy(() -> ModelZip.load(z, new ModelZip.Limits(d.configurationBytes(), d.parameterBytes(),
                d.totalBytes(), 120))).isInstanceOf(InputFileException.class).hasMessageContaining("without configuration.json");
    }

    @Test
    void boolBytesFollowNumpysRule() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0x80, (byte) 0xff});
        double[] read = new double[5];
        for (int i = 0; i < 5; i++) {
            read[i] = ElementType.BOOL.read(b);
        }
        assertThat(read).containsExactly(0, 1, 1, 1, 1);
    }

    @Test
    @SuppressWarnings("deprecation")
    void storedEntriesHaveTheirCrcAndSizeInTheDirectory() throws IOException {
        // the ZipArchiveEntry fields CrcCheckedStream compares with are the central directory's
        Path z = dir.resolve("stored.zip");
        byte[] data = {1, 2, 3};
        CRC32 crc = new CRC32();
        crc.update(data);
        try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(z.toFile())) {
            ZipArchiveEntry e = new ZipArchiveEntry("a");
            e.setMethod(ZipEntry.STORED);
            e.setSize(3);
            e.setCrc(crc.getValue());
            out.putArchiveEntry(e);
            out.write(data);
            out.closeArchiveEntry();
        }
        try (org.apache.commons.compress.archivers.zip.ZipFile f = new org.apache.commons.compress.archivers.zip.ZipFile(z.toFile())) {
            assertThat(f.getEntry("a").getCrc()).isEqualTo(crc.getValue());
            assertThat(f.getEntry("a").getSize()).isEqualTo(3);
        }
    }
}
