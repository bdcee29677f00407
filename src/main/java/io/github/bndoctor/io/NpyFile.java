package io.github.bndoctor.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opens NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0, as specified in NumPy's
 * {@code numpy.lib.format} documentation, NEP 1) without native code.
 *
 * <p>Checked before anything is allocated for the body: the magic string, the version, the header
 * length against the file size (and {@value #MAX_HEADER_BYTES} bytes), the header dictionary
 * (exactly the keys {@code descr}, {@code fortran_order} and {@code shape}, each once, as Python
 * literals), the element type against a whitelist (little- and big-endian floats of 16, 32 and 64
 * bits, signed and unsigned integers of 8 to 64 bits, booleans; strings, objects, pickles,
 * structured, complex and date types are refused), the shape's products against overflow, and
 * the body length: exactly the shape's product times the element size, otherwise an error naming
 * both numbers.
 */
public final class NpyFile {
    /** Largest header accepted (NumPy itself refuses headers over 10,000 bytes by default). */
    public static final int MAX_HEADER_BYTES = 1 << 20;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private NpyFile() {
    }

    /**
     * @param file a {@code .npy} file
     * @return the array it holds, not yet read
     * @throws InputFileException naming the file and the problem if it is not a well-formed,
     *     supported {@code .npy} array
     */
    public static ArrayFile open(Path file) {
        if (Files.isDirectory(file)) {
            throw new InputFileException(file, "is a directory, not a .npy file");
        }
        if (!Files.exists(file)) {
            throw new InputFileException(file, "does not exist");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new InputFileException(file, "is not a readable file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            while (pre.hasRemaining() && ch.read(pre) >= 0) {
                // read the preamble: magic (6), version (2), header length (2 or 4)
            }
            pre.flip();
            if (pre.remaining() < 10 || !Arrays.equals(pre.array(), 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                throw new InputFileException(file, "is not a .npy array (no \\x93NUMPY magic string)");
            }
            pre.position(MAGIC.length);
            int major = pre.get() & 0xff;
            int minor = pre.get() & 0xff;
            if (major < 1 || major > 3 || minor != 0) {
                throw new InputFileException(file, "has .npy format version " + major + "." + minor
                        + "; supported: 1.0, 2.0, 3.0");
            }
            long headerLength;
            int preamble;
            if (major == 1) {
                headerLength = pre.getShort() & 0xffff;
                preamble = 10;
            } else {
                if (pre.remaining() < 4) {
                    throw new InputFileException(file, "ends inside the .npy preamble (" + size + " bytes)");
                }
                headerLength = pre.getInt() & 0xffffffffL;
                preamble = 12;
            }
            if (headerLength > size - preamble) {
                throw new InputFileException(file, "header claims " + headerLength + " bytes but the file has only "
                        + (size - preamble) + " after the preamble");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new InputFileException(file, "header of " + headerLength + " bytes exceeds the limit of "
                        + MAX_HEADER_BYTES);
            }
            ByteBuffer h = ByteBuffer.allocate((int) headerLength);
            ch.position(preamble);
            while (h.hasRemaining() && ch.read(h) >= 0) {
                // read the header
            }
            String header = new String(h.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Header parsed = parse(file, header);
            long offset = preamble + headerLength;
            ArrayFile a = ArrayFile.of(file, offset, parsed.shape, parsed.type, parsed.order, parsed.fortran);
            long body = size - offset;
            if (body != a.bodyBytes()) {
                throw new InputFileException(file, "body has " + body + " bytes but shape " + Arrays.toString(parsed.shape)
                        + " of '" + parsed.descr + "' needs exactly " + a.bodyBytes() + " bytes ("
                        + (body < a.bodyBytes() ? "truncated" : "trailing data") + ")");
            }
            return a;
        } catch (IOException e) {
            throw new InputFileException(file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private record Header(String descr, ElementType type, ByteOrder order, boolean fortran, long[] shape) {
    }

    private static Header parse(Path file, String header) {
        if (!header.endsWith("\n")) {
            throw new InputFileException(file, "malformed .npy header: it does not end with a newline");
        }
        Map<String, Object> dict;
        try {
            dict = new Literal(header).dict();
        } catch (IllegalArgumentException e) {
            throw new InputFileException(file, "malformed .npy header (" + e.getMessage() + ")");
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) {
                throw new InputFileException(file, "malformed .npy header: no '" + key + "' key");
            }
        }
        if (dict.size() != 3) {
            List<String> extra = new ArrayList<>(dict.keySet());
            extra.removeAll(List.of("descr", "fortran_order", "shape"));
            throw new InputFileException(file, "malformed .npy header: unexpected key(s) " + extra);
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new InputFileException(file, "malformed .npy header: descr must be a string");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new InputFileException(file, "malformed .npy header: fortran_order must be True or False");
        }
        if (!(dict.get("shape") instanceof long[] shape)) {
            throw new InputFileException(file, "malformed .npy header: shape must be a tuple of integers");
        }
        return new Header(descr, elementType(file, descr), byteOrder(descr), fortran, shape);
    }

    private static ByteOrder byteOrder(String descr) {
        return descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    private static ElementType elementType(Path file, String descr) {
        if (descr.length() >= 2) {
            char order = descr.charAt(0);
            String code = descr.substring(1);
            ElementType t = switch (code) {
                case "f2", "e" -> ElementType.FLOAT16;
                case "f4" -> ElementType.FLOAT32;
                case "f8" -> ElementType.FLOAT64;
                case "i1" -> ElementType.INT8;
                case "u1" -> ElementType.UINT8;
                case "b1" -> ElementType.BOOL;
                case "i2" -> ElementType.INT16;
                case "u2" -> ElementType.UINT16;
                case "i4" -> ElementType.INT32;
                case "u4" -> ElementType.UINT32;
                case "i8" -> ElementType.INT64;
                case "u8" -> ElementType.UINT64;
                default -> null;
            };
            boolean orderOk = order == '<' || order == '>' || (order == '|' && t != null && t.size() == 1);
            if (t != null && orderOk) {
                return t;
            }
        }
        throw new InputFileException(file, "unsupported .npy element type '" + descr + "': only floats (f2, f4, f8),"
                + " integers (i1-i8, u1-u8) and booleans (b1) are read; strings, objects and pickles never");
    }

    /** A strict parser of the Python literal subset a {@code .npy} header uses. */
    private static final class Literal {
        private final String s;
        private int p;

        Literal(String s) {
            this.s = s;
        }

        Map<String, Object> dict() {
            skip();
            expect('{');
            Map<String, Object> out = new LinkedHashMap<>();
            skip();
            while (peek() != '}') {
                Object key = value();
                if (!(key instanceof String k)) {
                    throw error("dictionary key is not a string");
                }
                skip();
                expect(':');
                Object v = value();
                if (out.put(k, v) != null) {
                    throw error("key '" + k + "' appears twice");
                }
                skip();
                if (peek() == ',') {
                    p++;
                    skip();
                } else if (peek() != '}') {
                    throw error("expected ',' or '}'");
                }
            }
            p++;
            skip();
            if (p != s.length()) {
                throw error("text after the dictionary");
            }
            return out;
        }

        private Object value() {
            skip();
            char c = peek();
            if (c == '\'' || c == '"') {
                int end = s.indexOf(c, p + 1);
                if (end < 0) {
                    throw error("unterminated string");
                }
                String v = s.substring(p + 1, end);
                if (v.indexOf('\\') >= 0) {
                    throw error("escape sequences are not supported");
                }
                p = end + 1;
                return v;
            }
            if (s.startsWith("True", p)) {
                p += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", p)) {
                p += 5;
                return Boolean.FALSE;
            }
            if (c == '(') {
                return tuple();
            }
            if (c == '[') {
                throw error("structured element types (a list as descr) are not supported");
            }
            throw error("unexpected '" + c + "'");
        }

        private long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            skip();
            boolean comma = false;
            while (peek() != ')') {
                dims.add(integer());
                skip();
                comma = peek() == ',';
                if (comma) {
                    p++;
                    skip();
                } else if (peek() != ')') {
                    throw error("expected ',' or ')' in the shape");
                }
            }
            p++;
            if (dims.size() == 1 && !comma) {
                throw error("shape (" + dims.get(0) + ") is not a tuple");
            }
            return dims.stream().mapToLong(Long::longValue).toArray();
        }

        private long integer() {
            int start = p;
            while (p < s.length() && Character.isDigit(s.charAt(p)) && s.charAt(p) < 128) {
                p++;
            }
            if (p == start) {
                throw error("shape holds a non-integer");
            }
            String digits = s.substring(start, p);
            if (p < s.length() && s.charAt(p) == 'L') {
                p++; // Python 2 long literal
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("dimension " + digits + " is too large");
            }
        }

        private void skip() {
            while (p < s.length() && (s.charAt(p) == ' ' || s.charAt(p) == '\n' || s.charAt(p) == '\t')) {
                p++;
            }
        }

        private char peek() {
            if (p >= s.length()) {
                throw error("unexpected end of header");
            }
            return s.charAt(p);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            p++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at character " + p);
        }
    }
}
