package io.github.bndoctor.report;

import io.github.bndoctor.BnDoctorException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * All of a run's outputs or none, on the real file system: special files, foreign directories and
 * targets that became links before the commit are refused, long names get temporaries within the
 * name limit, a previous report is swapped (keeping its permissions) and put back, with the same
 * inode for a file, when the commit fails at a later output or a vanished temporary, one commit
 * only, and a SIGTERM mid-write leaves no temporary.
 */
@Tag("unit")
class AtomicOutputsTest {
    @TempDir
    Path dir;

    /** A report directory is a previous one when it holds an index. */
    private static final java.util.function.Predicate<Path> PREVIOUS = d -> Files.exists(d.resolve("index.html"));

    /** Commits a report directory whose index reads {@code index}. */
    private static void commitReport(Path report, String index) throws IOException {
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.directory(report, PREVIOUS, "a report", d -> Files.writeString(d.resolve("index.html"), index));
            outs.commit();
        }
    }

    private List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aFailingLaterOutputLeavesNoEarlierOneAndTheOldFilesAsTheyWere() throws IOException {
        Path a = Files.writeString(dir.resolve("a.json"), "old a");
        Path b = dir.resolve("b.json");
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.file(a, out -> out.write("new a".getBytes(StandardCharsets.UTF_8)));
            outs.file(b, out -> out.write(1));
            assertThatThrownBy(() -> outs.file(dir.resolve("c.json"), out -> {
                throw new IOException("disk full");
            })).isInstanceOf(BnDoctorException.class).hasMessageContaining("c.json").hasMessageContaining("disk full");
        }
        assertThat(Files.readString(a)).isEqualTo("old a");
        assertThat(listing(dir)).containsExactly("a.json");
    }

    @Test
    void aFailingMoveUndoesTheMovesAlreadyMade() throws IOException {
        Path a = Files.writeString(dir.resolve("a.json"), "old a");
        Path fresh = dir.resolve("fresh.json");
        Path b = dir.resolve("b.json");
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.file(a, out -> out.write("new a".getBytes(StandardCharsets.UTF_8)));
            outs.file(fresh, out -> out.write(2));
            outs.file(b, out -> out.write(1));
            // between staging and commit, b becomes a directory: its move fails after a and fresh moved
            Files.createDirectory(b);
            assertThatThrownBy(outs::commit).isInstanceOf(BnDoctorException.class).hasMessageContaining("b.json");
        }
        assertThat(Files.readString(a)).isEqualTo("old a");
        assertThat(listing(dir)).containsExactly("a.json", "b.json");
    }

    @Test
    void specialFilesAndLinksToThemAreRefusedAndLeftAsTheyWere() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        Path link = Files.createSymbolicLink(dir.resolve("link"), fifo);
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("none"));
        assertThatThrownBy(() -> AtomicFiles.write(fifo, out -> out.write(1))).isInstanceOf(BnDoctorException.class)
                .hasMessageContaining("a FIFO (named pipe), not a regular file");
        assertThatThrownBy(() -> AtomicFiles.requireWritableFile(link)).isInstanceOf(BnDoctorException.class)
                .hasMessageContaining("symbolic link to").hasMessageContaining("a FIFO");
        assertThatThrownBy(() -> AtomicFiles.requireWritableFile(dangling)).isInstanceOf(BnDoctorException.class)
                .hasMessageContaining("symbolic link to a missing file");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.getAttribute(fifo, "unix:mode", LinkOption.NOFOLLOW_LINKS)).matches(m -> ((Integer) m & 0170000)
                == 0010000, "still a FIFO");
        assertThat(listing(dir)).containsExactly("dangling", "fifo", "link");
    }

    @Test
    void aLinkToARegularFileIsKeptAndTheFileReplaced() throws IOException {
        Path real = Files.writeString(Files.createDirectory(dir.resolve("sub")).resolve("real.json"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.json"), real);
        AtomicFiles.write(link, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(real)).isEqualTo("new");
    }

    @Test
    void temporaryNamesFitTheNameLimitAtAndAboveTheBoundary() throws IOException {
        // ADDED = 55 bytes (".", ".bn-doctor-", two 19-digit numbers, "-", ".tmp"): 200 keeps the name, 201 hashes it
        for (int length : new int[] {199, 200, 201, 255}) {
            String name = "n".repeat(length - 4) + ".zip";
            String stem = AtomicFiles.stem(name);
            assertThat(stem).as(length + " bytes").isEqualTo(length <= 200 ? name : stem);
            assertThat(AtomicFiles.temporaryName(name, Long.MAX_VALUE, Long.MAX_VALUE).length())
                    .as(length + " bytes").isLessThanOrEqualTo(AtomicFiles.NAME_MAX);
            if (length > 200) {
                assertThat(stem).matches("~[0-9a-f]{32}");
            }
            AtomicFiles.write(dir.resolve(name), out -> out.write(length & 0xff));
            assertThat(Files.readAllBytes(dir.resolve(name))).containsExactly((byte) length);
        }
        // two-byte characters count twice
        String wide = "\u00e9".repeat(101);
        assertThat(AtomicFiles.stem(wide)).startsWith("~");
        assertThat(AtomicFiles.stem("\u00e9".repeat(100))).isEqualTo("\u00e9".repeat(100));
    }

    @Test
    void aPreviousReportIsSwappedAndAForeignDirectoryRefused() throws IOException {
        Path report = dir.resolve("report");
        commitReport(report, "first");
        commitReport(report, "second");
        assertThat(Files.readString(report.resolve("index.html"))).isEqualTo("second");
        assertThat(listing(dir)).containsExactly("report");
        Path home = Files.createDirectory(dir.resolve("home"));
        Files.writeString(home.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> AtomicOutputs.requireReplaceableDirectory(home, PREVIOUS, "a report"))
                .isInstanceOf(BnDoctorException.class).hasMessageContaining("holds other files");
        assertThat(Files.readString(home.resolve("notes.txt"))).isEqualTo("mine");
        // an empty directory is filled
        Path empty = Files.createDirectory(dir.resolve("empty"));
        commitReport(empty, "first");
        assertThat(listing(empty)).containsExactly("index.html");
    }

    @Test
    void aSecondCommitIsRefusedAndLeavesTheFirstOnesOutputs() throws IOException {
        Path a = dir.resolve("a.json");
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.file(a, out -> out.write("first".getBytes(StandardCharsets.UTF_8)));
            outs.commit();
            assertThatThrownBy(outs::commit).isInstanceOf(IllegalStateException.class).hasMessage("already committed");
        }
        assertThat(Files.readString(a)).isEqualTo("first");
        assertThat(listing(dir)).containsExactly("a.json");
        // closed without a commit: a commit afterwards is refused too, nothing is written
        AtomicOutputs closed = new AtomicOutputs();
        closed.file(dir.resolve("b.json"), out -> out.write(1));
        closed.close();
        assertThatThrownBy(closed::commit).isInstanceOf(IllegalStateException.class);
        assertThat(listing(dir)).containsExactly("a.json");
    }

    @Test
    void aDirectoryOutputRefusesAnEmptyPathAndAFileWithTheirOwnMessages() throws IOException {
        java.util.function.Predicate<Path> anything = d -> true;
        assertThatThrownBy(() -> AtomicOutputs.requireReplaceableDirectory(Path.of(""), anything, "a report"))
                .isInstanceOf(BnDoctorException.class)
                .hasMessage("cannot write an empty path: give the name of the directory to write");
        assertThatThrownBy(() -> AtomicOutputs.requireReplaceableDirectory(Path.of(" "), anything, "a report"))
                .isInstanceOf(BnDoctorException.class).hasMessageContaining("empty path");
        // a regular file is not a directory, even for a caller that would take any directory
        Path file = Files.writeString(dir.resolve("report"), "mine");
        assertThatThrownBy(() -> AtomicOutputs.requireReplaceableDirectory(file, anything, "a report"))
                .isInstanceOf(BnDoctorException.class)
                .hasMessage("cannot write a report to " + file + ": it is a regular file, not a directory");
        assertThat(Files.readString(file)).isEqualTo("mine");
    }

    @Test
    void aNewDirectoryIsWorldReadableAndAReplacedOneKeepsItsPermissions() throws IOException {
        Path fresh = dir.resolve("fresh");
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.directory(fresh, d -> false, "a report", d -> Files.writeString(d.resolve("index.html"), "x"));
            outs.commit();
        }
        // the temporary directory is created rwx------: the swap must not hand that to the user
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh))).isEqualTo("rwxr-xr-x");

        Path kept = Files.createDirectory(dir.resolve("kept"));
        Files.setPosixFilePermissions(kept, PosixFilePermissions.fromString("rwx------"));
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.directory(kept, d -> false, "a report", d -> Files.writeString(d.resolve("index.html"), "y"));
            outs.commit();
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kept))).isEqualTo("rwx------");
        assertThat(Files.readString(kept.resolve("index.html"))).isEqualTo("y");
    }

    @Test
    void aTargetThatBecameALinkBeforeTheCommitIsRefusedAndKept() throws IOException {
        Path mine = Files.writeString(dir.resolve("mine.txt"), "mine");
        Path a = dir.resolve("a.json");
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.file(a, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
            Files.createSymbolicLink(a, mine);
            assertThatThrownBy(outs::commit).isInstanceOf(BnDoctorException.class).hasMessage("cannot write " + a
                    + ": it is a symbolic link, not a regular file (only regular files are replaced)");
        }
        assertThat(Files.isSymbolicLink(a)).isTrue();
        assertThat(Files.readString(mine)).isEqualTo("mine");
        assertThat(listing(dir)).containsExactly("a.json", "mine.txt");
    }

    @Test
    void anUndoneReplacementRestoresTheSameFileSoItsOtherLinksStillShareIt() throws IOException {
        Path a = Files.writeString(dir.resolve("a.json"), "old a");
        Path alias = Files.createLink(dir.resolve("alias.json"), a);
        Object inode = Files.readAttributes(a, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        Path b = dir.resolve("b.json");
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.file(a, out -> out.write("new a".getBytes(StandardCharsets.UTF_8)));
            outs.file(b, out -> out.write(1));
            Files.createDirectory(b);
            assertThatThrownBy(outs::commit).isInstanceOf(BnDoctorException.class);
        }
        assertThat(Files.readString(a)).isEqualTo("old a");
        assertThat(inode).isNotNull();
        assertThat(Files.readAttributes(a, java.nio.file.attribute.BasicFileAttributes.class).fileKey()).isEqualTo(inode);
        assertThat(Files.isSameFile(a, alias)).isTrue();
        assertThat(listing(dir)).containsExactly("a.json", "alias.json", "b.json");
    }

    @Test
    void aTemporaryFileGoneBeforeTheCommitLeavesTheOldFileAndNoBackup() throws IOException {
        Path a = Files.writeString(dir.resolve("a.json"), "old a");
        java.util.concurrent.atomic.AtomicReference<Path> tmp = new java.util.concurrent.atomic.AtomicReference<>();
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.filePath(a, t -> Files.writeString(tmp.updateAndGet(x -> t), "new a"));
            Files.delete(tmp.get());
            assertThatThrownBy(outs::commit).isInstanceOf(BnDoctorException.class)
                    .hasMessageStartingWith("cannot write " + a + ": NoSuchFileException")
                    .hasMessageEndingWith("(no output of this run was written)");
        }
        assertThat(Files.readString(a)).isEqualTo("old a");
        assertThat(listing(dir)).containsExactly("a.json");
    }

    @Test
    void aTemporaryDirectoryGoneBeforeTheCommitPutsThePreviousReportBack() throws IOException {
        Path report = dir.resolve("report");
        commitReport(report, "first");
        java.util.concurrent.atomic.AtomicReference<Path> tmp = new java.util.concurrent.atomic.AtomicReference<>();
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.directory(report, PREVIOUS, "a report",
                    d -> Files.writeString(tmp.updateAndGet(x -> d).resolve("index.html"), "second"));
            Files.delete(tmp.get().resolve("index.html"));
            Files.delete(tmp.get());
            assertThatThrownBy(outs::commit).isInstanceOf(BnDoctorException.class)
                    .hasMessageStartingWith("cannot write " + report + ": NoSuchFileException");
        }
        assertThat(Files.readString(report.resolve("index.html"))).isEqualTo("first");
        assertThat(listing(dir)).containsExactly("report");
        assertThat(listing(report)).containsExactly("index.html");
    }

    @Test
    void aLaterFailingOutputPutsAPreviousReportBackAndRemovesANewOne() throws IOException {
        Path report = dir.resolve("report");
        Path fresh = dir.resolve("fresh");
        commitReport(report, "first");
        Path b = dir.resolve("b.json");
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.directory(report, PREVIOUS, "a report", d -> Files.writeString(d.resolve("index.html"), "second"));
            outs.directory(fresh, PREVIOUS, "a report", d -> Files.writeString(d.resolve("index.html"), "new"));
            outs.file(b, out -> out.write(1));
            // the file output fails after both directories were swapped in
            Files.createDirectory(b);
            assertThatThrownBy(outs::commit).isInstanceOf(BnDoctorException.class).hasMessageContaining("b.json");
        }
        assertThat(Files.readString(report.resolve("index.html"))).isEqualTo("first");
        assertThat(listing(report)).containsExactly("index.html");
        assertThat(listing(dir)).containsExactly("b.json", "report");
    }

    @Test
    void anUnlistableDirectoryIsNotTakenForAnEmptyOne() throws IOException {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.writeString(locked.resolve("notes.txt"), "mine");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        try {
            if (!Files.isReadable(locked)) { // root lists every directory: the check is then moot
                assertThatThrownBy(() -> AtomicOutputs.requireReplaceableDirectory(locked, d -> false, "a report"))
                        .isInstanceOf(BnDoctorException.class).hasMessageContaining("holds other files");
            }
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void sigtermMidWriteLeavesNoTemporary() throws Exception {
        Path target = dir.resolve("out.zip");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                BlockedWriteMain.class.getName(), target.toString()).redirectErrorStream(true).start();
        String ready = new String(p.getInputStream().readNBytes(6), StandardCharsets.UTF_8);
        assertThat(ready).isEqualTo("ready\n");
        assertThat(listing(dir)).singleElement().asString().startsWith(".out.zip.bn-doctor-").endsWith(".tmp");
        p.destroy(); // SIGTERM
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(listing(dir)).isEmpty();
    }

    /** Child of {@link #sigtermMidWriteLeavesNoTemporary}: starts a write that never ends. */
    public static final class BlockedWriteMain {
        private BlockedWriteMain() {
        }

        /**
         * @param args the target
         */
        public static void main(String[] args) {
            AtomicFiles.write(Path.of(args[0]), out -> {
                out.write(new byte[1 << 20]);
                out.flush();
                System.out.print("ready\n");
                System.out.flush();
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }
}
