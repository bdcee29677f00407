package io.github.bndoctor.io;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link DataSetFile} on files written by DL4J's {@code DataSet.save}, compared with DL4J's own {@code DataSet.load}. */
@Tag("unit")
final class DataSetFileTest {
    @TempDir
    Path dir;

    private Path save(DataSet ds, String name) {
        Path f = dir.resolve(name);
        ds.save(f.toFile());
        return f;
    }

    @Test
    void readsWhatDataSetLoadReadsInEitherOrderAndType() {
        Nd4j.getRandom().setSeed(3);
        for (char order : new char[] {'c', 'f'}) {
            for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.HALF}) {
                INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3, 2).castTo(type).dup(order);
                INDArray y = Nd4j.rand(DataType.FLOAT, 5, 2).dup(order);
                Path f = save(new DataSet(x, y), "ds-" + order + type + ".bin");
                DataSet theirs = new DataSet();
                theirs.load(f.toFile());
                DataSetFile mine = DataSetFile.open(f);
                assertThat(mine.features().shape()).containsExactly(5, 3, 2);
                assertThat(mine.features().fortranOrder()).isEqualTo(order == 'f');
                assertThat(mine.features().readDoubles(0, 5)).as(order + " " + type)
                        .containsExactly(theirs.getFeatures().dup('c').castTo(DataType.DOUBLE).data().asDouble());
                assertThat(mine.labels().readDoubles(1, 3)).containsExactly(
                        theirs.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 4)).dup('c')
                                .castTo(DataType.DOUBLE).data().asDouble());
            }
        }
    }

    @Test
    void featuresWithoutLabels() {
        Path f = save(new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3), null), "x.bin");
        assertThat(DataSetFile.open(f).labels()).isNull();
    }

    @Test
    void boolFeaturesFollowNumpysRuleForEveryNonZeroByte() throws IOException {
        boolean[] flags = {true, false, true, true, false, true};
        INDArray x = Nd4j.create(flags, new long[] {3, 2}, DataType.BOOL);
        Path f = save(new DataSet(x, null), "bool.bin");
        DataSetFile opened = DataSetFile.open(f);
        assertThat(opened.features().elementType()).isEqualTo(ElementType.BOOL);
        // the body is the file's last 6 bytes (features only, no metadata): make every true byte another non-zero value
        byte[] bytes = Files.readAllBytes(f);
        byte[] trueBytes = {1, 2, (byte) 0x7f, (byte) 0x80, (byte) 0xff, 3};
        for (int i = 0; i < flags.length; i++) {
            int at = bytes.length - flags.length + i;
            assertThat(bytes[at]).isEqualTo((byte) (flags[i] ? 1 : 0));
            bytes[at] = flags[i] ? trueBytes[i] : 0;
        }
        Files.write(f, bytes);
        // numpy's rule, applied by hand: 0 is false, anything else true
        assertThat(DataSetFile.open(f).features().readDoubles(0, 3)).containsExactly(1, 0, 1, 1, 0, 1);
    }

    private static void assertRefused(Path f, String... mentions) {
        assertThatThrownBy(() -> DataSetFile.open(f)).isInstanceOf(InputFileException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContainingAll(mentions);
    }

    @Test
    void refusesMasksTruncationTrailingBytesAndOtherFiles() throws IOException {
        DataSet masked = new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3), Nd4j.rand(DataType.FLOAT, 4, 2),
                Nd4j.ones(DataType.FLOAT, 4, 1), null);
        assertRefused(save(masked, "masked.bin"), "masks");
        byte[] ok = Files.readAllBytes(save(new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3), Nd4j.rand(DataType.FLOAT, 4, 2)),
                "ok.bin"));
        assertRefused(Files.write(dir.resolve("short.bin"), Arrays.copyOf(ok, ok.length - 1)), "truncated");
        assertRefused(Files.write(dir.resolve("long.bin"), Arrays.copyOf(ok, ok.length + 1)), "1 bytes after its arrays");
        assertRefused(Files.write(dir.resolve("text.bin"), "hello world".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                "not a DL4J DataSet file");
        assertRefused(dir, "is a directory");
    }
}
