package io.github.bndoctor.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongFunction;

/**
 * Counts the bytes read through it and fails as soon as they pass a limit, so a stream that lies
 * about its size (a zip entry, a truncated or padded file) can never be read past what the caller
 * budgeted.
 */
class CountingInputStream extends FilterInputStream {
    private final long limit;
    private final LongFunction<RuntimeException> overLimit;
    private long count;

    /**
     * @param in the stream
     * @param limit the most bytes that may be read
     * @param overLimit the error to throw, given the limit
     */
    CountingInputStream(InputStream in, long limit, LongFunction<RuntimeException> overLimit) {
        super(in);
        this.limit = limit;
        this.overLimit = overLimit;
    }

    /** @return bytes read so far */
    long count() {
        return count;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            add(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        // never ask for more than one byte past the limit: enough to detect an overrun
        int n = super.read(b, off, (int) Math.min(len, Math.max(1, limit - count + 1)));
        if (n > 0) {
            add(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long s = super.skip(Math.min(n, limit - count + 1));
        add(s);
        return s;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void add(long n) {
        count += n;
        if (count > limit) {
            throw overLimit.apply(limit);
        }
    }
}
