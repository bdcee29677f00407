package io.github.bndoctor.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;
import java.util.zip.CRC32;

/**
 * An inflated zip entry checked at its end against the CRC-32 and the size its central-directory
 * entry records (APPNOTE.TXT 4.4.7, 4.4.9): a stream that reaches its end with another checksum or
 * length throws instead of returning the end, so a corrupt entry is never taken as read.
 */
final class CrcCheckedStream extends FilterInputStream {
    private final CRC32 crc = new CRC32();
    private final long expectedCrc;
    private final long expectedSize;
    private final Supplier<? extends RuntimeException> mismatch;
    private long size;

    /**
     * @param in the inflated entry
     * @param expectedCrc the recorded CRC-32, or -1 if unknown (then not checked)
     * @param expectedSize the recorded size, or -1 if unknown (then not checked)
     * @param mismatch the error to throw on a mismatch
     */
    CrcCheckedStream(InputStream in, long expectedCrc, long expectedSize, Supplier<? extends RuntimeException> mismatch) {
        super(in);
        this.expectedCrc = expectedCrc;
        this.expectedSize = expectedSize;
        this.mismatch = mismatch;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
            check();
        } else {
            crc.update(b);
            size++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            check();
        } else {
            crc.update(b, off, n);
            size += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(Math.max(n, 0), 8192)];
        long done = 0;
        while (done < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void check() {
        if ((expectedCrc >= 0 && crc.getValue() != expectedCrc) || (expectedSize >= 0 && size != expectedSize)) {
            throw mismatch.get();
        }
    }
}
