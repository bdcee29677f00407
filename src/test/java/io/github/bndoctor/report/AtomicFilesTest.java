package io.github.bndoctor.report;

import io.github.bndoctor.BnDoctorException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Atomic replacement on the real file system: a failure injected half-way through the write
 * leaves the old target byte-identical and no temporary file behind; the content goes to a
 * temporary file in the target's directory, never to the target itself, until it is complete.
 * Directories, links to them and special files are refused, with what they are, before the writer
 * runs, and no write starts once the JVM is shutting down.
 */
@Tag("unit")
class AtomicFilesTest {
    @TempDir
    Path dir;

    private static final byte[] OLD = "old content, several bytes long\n".getBytes(StandardCharsets.UTF_8);

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(Path::getFileName).sorted().toList();
        }
    }

    @Test
    void aFailureMidWriteLeavesTheOldTargetAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("out.json");
        Files.write(target, OLD);
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write("new partial".getBytes(StandardCharsets.UTF_8));
            out.flush();
            // half-way: the target must still hold the old bytes
            assertThat(Files.readAllBytes(target)).isEqualTo(OLD);
            throw new IOException("disk full (injected)");
        })).isInstanceOf(BnDoctorException.class).hasMessageContaining("cannot write " + target)
                .hasMessageContaining("disk full (injected)").hasMessageContaining("IOException");
        assertThat(Files.readAllBytes(target)).isEqualTo(OLD);
        assertThat(listing()).containsExactly(Path.of("out.json"));
    }

    @Test
    void anUncheckedFailureAlsoCleansUp() throws IOException {
        Path target = dir.resolve("model.zip");
        Files.write(target, OLD);
        assertThatThrownBy(() -> AtomicFiles.writePath(target, tmp -> {
            Files.writeString(tmp, "half");
            throw new UncheckedIOException(new IOException("injected"));
        })).isInstanceOf(UncheckedIOException.class);
        assertThat(Files.readAllBytes(target)).isEqualTo(OLD);
        assertThat(listing()).containsExactly(Path.of("model.zip"));
    }

    @Test
    void theContentGoesToATemporaryFileBesideTheTarget() throws IOException {
        Path target = dir.resolve("report.html");
        Files.write(target, OLD);
        AtomicReference<Path> seen = new AtomicReference<>();
        AtomicFiles.writePath(target, tmp -> {
            seen.set(tmp);
            assertThat(tmp.getParent()).isEqualTo(dir.toAbsolutePath().normalize());
            assertThat(tmp).isNotEqualTo(target.toAbsolutePath());
            assertThat(tmp.getFileName().toString()).startsWith(".report.html.").endsWith(".tmp");
            Files.writeString(tmp, "new");
        });
        assertThat(Files.readString(target)).isEqualTo("new");
        assertThat(seen.get()).doesNotExist();
        assertThat(listing()).containsExactly(Path.of("report.html"));
    }

    @Test
    void aNewFileIsCreatedWorldReadableAndAnOldOneKeepsItsPermissions() throws IOException {
        Path fresh = dir.resolve("fresh.json");
        AtomicFiles.write(fresh, out -> out.write(OLD));
        assertThat(Files.readAllBytes(fresh)).isEqualTo(OLD);
        // createTempFile makes rw------- files: the move must not hand that to the user
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh))).isEqualTo("rw-r--r--");

        Path kept = dir.resolve("kept.json");
        Files.write(kept, OLD);
        Files.setPosixFilePermissions(kept, PosixFilePermissions.fromString("rw-rw----"));
        AtomicFiles.write(kept, out -> out.write(1));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kept))).isEqualTo("rw-rw----");
        assertThat(Files.readAllBytes(kept)).containsExactly(1);
    }

    @Test
    void unwritableTargetsAreNamedBeforeAnythingIsWritten() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertThatThrownBy(() -> AtomicFiles.requireWritableDirectory(sub))
                .isInstanceOf(BnDoctorException.class).hasMessageContaining("it is a directory");
        Path missing = dir.resolve("no/such/dir/x.json");
        assertThatThrownBy(() -> AtomicFiles.write(missing, out -> out.write(1)))
                .isInstanceOf(BnDoctorException.class).hasMessageContaining("does not exist");
        assertThat(AtomicFiles.requireWritableDirectory(sub.resolve("x.json"))).isEqualTo(sub.toAbsolutePath());

        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            if (!Files.isWritable(locked)) { // root can write anywhere: the check is then moot
                assertThatThrownBy(() -> AtomicFiles.requireWritableDirectory(locked.resolve("x")))
                        .isInstanceOf(BnDoctorException.class).hasMessageContaining("is not writable");
            }
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void temporaryFilesOfEndedProcessesAreRemovedByTheNextWrite() throws IOException {
        // no process has this id (Linux caps ids at 2^22), so its temporary file is stale
        long gone = 999_999_999L;
        long alive = ProcessHandle.current().pid();
        List<String> stale = List.of(".out.json.bn-doctor-" + gone + "-3.tmp");
        List<String> kept = List.of(
                ".out.json.bn-doctor-" + alive + "-3.tmp", // a write in progress in a running process
                ".out.json.bn-doctor-" + gone + "-3.txt", // not a temporary file
                ".other.json.bn-doctor-" + gone + "-3.tmp", // another target's
                ".out.json.bn-doctor-" + gone + ".tmp", // one number only
                ".out.json.bn-doctor-" + gone + "-3-4.tmp", // three numbers
                ".out.json.bn-doctor-x" + gone + "-3.tmp", // not a number
                ".out.json.bn-doctor-" + gone + "-y.tmp",
                ".out.json.bn-doctor--3.tmp", // empty id
                ".out.json.bn-doctor-1234567890123456789-3.tmp"); // 19 digits: beyond any process id
        for (String n : stale) {
            Files.write(dir.resolve(n), OLD);
        }
        for (String n : kept) {
            Files.write(dir.resolve(n), OLD);
        }
        AtomicFiles.write(dir.resolve("out.json"), out -> out.write(1));
        assertThat(listing()).map(Path::toString).containsExactlyInAnyOrderElementsOf(
                java.util.stream.Stream.concat(kept.stream(), Stream.of("out.json")).toList());
    }

    @Test
    void anExceptionWithoutMessageIsNamedByItsType() throws IOException {
        Path target = dir.resolve("t.json");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            throw new IOException();
        })).isInstanceOf(BnDoctorException.class).hasMessage("cannot write " + target + ": IOException");
        assertThat(listing()).isEmpty();
    }

    @Test
    void aDirectoryAndALinkToOneAreRefusedWithExactMessages() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), sub);
        assertThatThrownBy(() -> AtomicFiles.requireWritableFile(sub)).isInstanceOf(BnDoctorException.class)
                .hasMessage("cannot write " + sub + ": it is a directory");
        assertThatThrownBy(() -> AtomicFiles.requireWritableFile(link)).isInstanceOf(BnDoctorException.class)
                .hasMessage("cannot write " + link + ": it is a symbolic link to " + sub.toRealPath()
                        + ", a directory, not a regular file");
        assertThat(listing()).containsExactly(Path.of("link"), Path.of("sub"));
    }

    @Test
    void aSpecialFileIsRefusedBeforeTheWriterRuns() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        java.util.concurrent.atomic.AtomicBoolean called = new java.util.concurrent.atomic.AtomicBoolean();
        assertThatThrownBy(() -> AtomicFiles.write(fifo, out -> called.set(true))).isInstanceOf(BnDoctorException.class)
                .hasMessage("cannot write " + fifo + ": it is a FIFO (named pipe), not a regular file"
                        + " (only regular files are replaced)");
        assertThat(called).isFalse();
        assertThat(listing()).containsExactly(Path.of("fifo"));
        // a character device, by definition of /dev/null
        assertThatThrownBy(() -> AtomicFiles.requireWritableFile(Path.of("/dev/null")))
                .isInstanceOf(BnDoctorException.class).hasMessageContaining("it is a character device, not a regular file");
    }

    @Test
    void kindNamesWhatAPathIs() throws IOException {
        Path file = Files.write(dir.resolve("f"), OLD);
        Path sub = Files.createDirectory(dir.resolve("d"));
        assertThat(AtomicFiles.kind(file)).isEqualTo("a regular file");
        assertThat(AtomicFiles.kind(sub)).isEqualTo("a directory");
        // a link is named as a link, whatever it points to
        assertThat(AtomicFiles.kind(Files.createSymbolicLink(dir.resolve("lf"), file))).isEqualTo("a symbolic link");
        assertThat(AtomicFiles.kind(Files.createSymbolicLink(dir.resolve("ld"), sub))).isEqualTo("a symbolic link");
        // a path gone before its mode could be read (a race with another process)
        assertThat(AtomicFiles.kind(dir.resolve("gone"))).isEqualTo("a special file (device, FIFO or socket)");
    }

    @Test
    void theParentOfAWritableTargetIsReturned() {
        Path target = dir.resolve("x.json");
        assertThat(AtomicFiles.requireWritableParent(Path.of("x.json"), target)).isEqualTo(dir);
        assertThatThrownBy(() -> AtomicFiles.requireWritableParent(Path.of("y"), dir.resolve("none/y")))
                .isInstanceOf(BnDoctorException.class)
                .hasMessage("cannot write y: directory " + dir.resolve("none") + " does not exist");
    }

    @Test
    void noWriteStartsOnceTheJvmIsShuttingDown() throws Exception {
        // the state the shutdown hook leaves: a write racing with it must not leave a temporary behind
        java.lang.reflect.Field flag = AtomicFiles.class.getDeclaredField("shuttingDown");
        flag.setAccessible(true);
        Path target = dir.resolve("late.json");
        java.util.concurrent.atomic.AtomicBoolean called = new java.util.concurrent.atomic.AtomicBoolean();
        flag.setBoolean(null, true);
        try {
            assertThatThrownBy(() -> AtomicFiles.write(target, out -> called.set(true)))
                    .isInstanceOf(BnDoctorException.class)
                    .hasMessage("cannot write " + target + ": IOException the JVM is shutting down");
        } finally {
            flag.setBoolean(null, false);
        }
        assertThat(called).isFalse();
        assertThat(listing()).isEmpty();
    }

    @Test
    void anEmptyPathIsRejectedWithItsOwnMessage() {
        assertThatThrownBy(() -> AtomicFiles.requireWritableDirectory(Path.of("")))
                .isInstanceOf(BnDoctorException.class)
                .hasMessage("cannot write an empty path: give the name of the file to write");
        assertThatThrownBy(() -> AtomicFiles.requireWritableDirectory(Path.of(" ")))
                .isInstanceOf(BnDoctorException.class).hasMessageContaining("empty path");
    }
}
