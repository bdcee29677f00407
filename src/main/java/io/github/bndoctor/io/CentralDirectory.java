package io.github.bndoctor.io;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Counts a zip's central-directory entries by walking the directory's headers, holding one header
 * at a time, and stops one past a limit: the count a zip reader that keeps every entry in memory
 * would reach, known before it allocates anything (PKWARE's APPNOTE.TXT 6.3: the end of central
 * directory record, section 4.3.16, its ZIP64 form, 4.3.14-15, and the central directory file
 * header, 4.3.12). Like such readers, the walk follows header signatures, not the entry count the
 * end record claims, so a record that lies about the count changes nothing.
 */
final class CentralDirectory {
    private static final int EOCD_SIGNATURE = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
    private static final int ZIP64_EOCD_SIGNATURE = 0x06064b50;
    private static final int HEADER_SIGNATURE = 0x02014b50;
    private static final int EOCD_LENGTH = 22;
    private static final int HEADER_LENGTH = 46;
    private static final int MAX_COMMENT = 0xffff;

    private CentralDirectory() {
    }

    /**
     * @param file a zip file
     * @param limit the most entries of interest
     * @return the number of central-directory headers, at most {@code limit + 1}; 0 when no end of
     *     central directory record is found (the zip reader then reports the file as unreadable)
     * @throws IOException on a read error
     */
    static long countEntries(Path file, long limit) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long eocd = findEndRecord(ch, size);
            if (eocd < 0) {
                return 0;
            }
            ByteBuffer r = read(ch, eocd, EOCD_LENGTH);
            long cdSize = r.getInt(12) & 0xffffffffL;
            long cdOffset = r.getInt(16) & 0xffffffffL;
            long cdEnd = eocd;
            if (cdOffset == 0xffffffffL || cdSize == 0xffffffffL || (r.getShort(10) & 0xffff) == 0xffff) {
                long locator = eocd - 20;
                if (locator >= 0 && read(ch, locator, 20).getInt(0) == ZIP64_LOCATOR_SIGNATURE) {
                    long z = read(ch, locator, 20).getLong(8);
                    if (z >= 0 && z <= size - 56) {
                        ByteBuffer z64 = read(ch, z, 56);
                        if (z64.getInt(0) == ZIP64_EOCD_SIGNATURE) {
                            cdSize = z64.getLong(40);
                            cdOffset = z64.getLong(48);
                            cdEnd = z;
                        }
                    }
                }
            }
            // readers start at the recorded offset, or, with data prepended to the zip, at the end minus the size
            long counted = walk(ch, cdOffset, size, limit);
            long shifted = cdEnd - cdSize;
            if (shifted != cdOffset && shifted >= 0) {
                counted = Math.max(counted, walk(ch, shifted, size, limit));
            }
            return counted;
        }
    }

    private static long findEndRecord(FileChannel ch, long size) throws IOException {
        if (size < EOCD_LENGTH) {
            return -1;
        }
        long from = Math.max(0, size - EOCD_LENGTH - MAX_COMMENT);
        ByteBuffer tail = read(ch, from, (int) (size - from));
        for (int p = tail.limit() - EOCD_LENGTH; p >= 0; p--) {
            if (tail.getInt(p) == EOCD_SIGNATURE) {
                return from + p;
            }
        }
        return -1;
    }

    private static long walk(FileChannel ch, long start, long size, long limit) throws IOException {
        if (start < 0 || start > size - 4) {
            return 0;
        }
        DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch.position(start)),
                1 << 16));
        byte[] header = new byte[HEADER_LENGTH];
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        long count = 0;
        try {
            while (count <= limit) {
                in.readFully(header);
                if (h.getInt(0) != HEADER_SIGNATURE) {
                    break;
                }
                count++;
                long skip = (h.getShort(28) & 0xffff) + (h.getShort(30) & 0xffff) + (h.getShort(32) & 0xffff);
                in.skipNBytes(skip);
            }
        } catch (EOFException end) {
            // a directory running to the end of the file: the reader reports it
        }
        return count;
    }

    private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                break;
            }
            p += n;
        }
        b.flip();
        return b;
    }
}
