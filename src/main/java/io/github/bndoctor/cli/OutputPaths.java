package io.github.bndoctor.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks an output option before any work: not empty, and never one of the inputs under any spelling or link. */
final class OutputPaths {
    private OutputPaths() {
    }

    /**
     * @param option the option's name, for the message
     * @param out the output path
     * @param inputs the input files ({@code null} entries are skipped)
     * @throws InputException if {@code out} is empty or resolves to an input
     */
    static void requireDistinct(String option, Path out, Path... inputs) {
        if (out.toString().isBlank()) {
            throw new InputException(option + " is empty: give the path of the file to write");
        }
        Path o = canonical(out);
        for (Path in : inputs) {
            if (in != null && (o.equals(canonical(in)) || sameFile(out, in))) {
                throw new InputException(option + " " + out + " is the input file " + in
                        + ": write the output elsewhere (inputs are never modified)");
            }
        }
    }

    /**
     * @param fileOption the file option's name, for the message
     * @param file the file output, or {@code null}
     * @param dirOption the directory option's name, for the message
     * @param dir the directory output, replaced as a whole
     * @throws InputException if {@code file} lies inside {@code dir} (the directory's replacement would take it away)
     */
    static void requireOutside(String fileOption, Path file, String dirOption, Path dir) {
        if (file != null && canonical(file).startsWith(canonical(dir))) {
            throw new InputException(fileOption + " " + file + " lies inside the " + dirOption + " directory " + dir
                    + ", which is replaced as a whole: write it elsewhere");
        }
    }

    /** @return the real path, following links; for a missing file its real parent plus its name */
    private static Path canonical(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException missing) {
            Path parent = abs.getParent();
            try {
                return parent == null ? abs : parent.toRealPath().resolve(abs.getFileName());
            } catch (IOException e) {
                return abs;
            }
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
