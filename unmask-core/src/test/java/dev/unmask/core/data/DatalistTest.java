package dev.unmask.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import dev.unmask.core.io.Csv;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatalistTest {
    @TempDir
    Path dir;

    private Datalist list(String text) throws Exception {
        Path f = dir.resolve("list.csv");
        Files.writeString(f, text);
        return Datalist.read(f, dir);
    }

    @Test
    void readsThePapersDatalistKeepingManipulationIdsAndFolderVideos() throws Exception {
        Datalist d = list("real/v1/0001.png,0\nfake/Deepfakes/v2/0001.png,1\n\nfake/NeuralTextures/v3/0007.png,4\n");
        assertThat(d.items()).hasSize(3);
        assertThat(d.items().get(0).fake()).isFalse();
        assertThat(d.items().get(2).label()).isEqualTo(4);
        assertThat(d.items().get(2).fake()).isTrue();
        assertThat(d.items().get(1).video()).isEqualTo("fake/Deepfakes/v2");
        assertThat(d.items().get(0).file()).isEqualTo(dir.toAbsolutePath().normalize().resolve("real/v1/0001.png"));
        assertThat(d.fakeCount()).isEqualTo(2);
        assertThat(d.sha256()).hasSize(64);
    }

    @Test
    void aHeaderNamesColumnsInAnyOrderAndQuotedPathsMayHoldCommas() throws Exception {
        Datalist d = list("label,video,path\n0,clip A,\"faces/a,b.png\"\n1,clip B,\"faces/say \"\"hi\"\".png\"\n");
        assertThat(d.items()).extracting(Datalist.Item::relativePath).containsExactly("faces/a,b.png", "faces/say \"hi\".png");
        assertThat(d.items()).extracting(Datalist.Item::video).containsExactly("clip A", "clip B");
    }

    @Test
    void readsBackWhatTheExtractorsCsvWriterWritesLineBreaksAndHashesIncluded() throws Exception {
        String text = new Csv.Table("relative_path", "label", "video").row("#1/a.png", 0, "v,1").row("odd\nname.png", 3, "v 2").text();
        Datalist d = list("\ufeff" + text.replace("\"v,1\"\n", "\"v,1\"\r\n"));
        assertThat(d.items()).extracting(Datalist.Item::relativePath).containsExactly("#1/a.png", "odd\nname.png");
        assertThat(d.items()).extracting(Datalist.Item::label).containsExactly(0, 3);
        assertThat(d.items()).extracting(Datalist.Item::video).containsExactly("v,1", "v 2");
    }

    @Test
    void aThirdColumnWithoutHeaderIsTheVideo() throws Exception {
        Datalist d = list("a/1.png,0,vid7\na/2.png,1,vid8\n");
        assertThat(d.items()).extracting(Datalist.Item::video).containsExactly("vid7", "vid8");
    }

    @Test
    void pathsThatLeaveTheRootAreRefused() {
        for (String bad : new String[] {"../outside.png,0", "a/../../outside.png,1", "/etc/passwd,0", "a/../..,0"}) {
            assertThatThrownBy(() -> list(bad + "\n")).isInstanceOf(UserError.class)
                    .hasMessageContaining("line 1").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
        assertThat(Datalist.read(write("x/../inside.png,0\n"), dir).items().get(0).relativePath()).isEqualTo("inside.png");
    }

    private Path write(String text) {
        try {
            Path f = dir.resolve("l2.csv");
            Files.writeString(f, text);
            return f;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void badLinesAreOneLineErrorsNamingTheLine() {
        assertThatThrownBy(() -> list("a.png,0\nb.png,x\n")).isInstanceOf(UserError.class).hasMessageContaining("line 2")
                .hasMessageContaining("label");
        assertThatThrownBy(() -> list("a.png,0\nb.png,-1\n")).hasMessageContaining("line 2");
        assertThatThrownBy(() -> list("a.png,0\nb.png,1,v,extra\n")).hasMessageContaining("line 2").hasMessageContaining("fields");
        assertThatThrownBy(() -> list("a.png,0\na.png,1\n")).hasMessageContaining("listed twice");
        assertThatThrownBy(() -> list("\"a.png,0\n")).hasMessageContaining("never closed");
        assertThatThrownBy(() -> list("a.png\n")).isInstanceOf(UserError.class).hasMessageContaining("line 1: expected relative_path,label");
        assertThatThrownBy(() -> list("path,score\na.png,0.3\n")).hasMessageContaining("unknown column 'score'");
        assertThatThrownBy(() -> list("\n# only a comment\n")).hasMessageContaining("no items");
        assertThatThrownBy(() -> Datalist.read(dir.resolve("missing.csv"), dir)).hasMessageContaining("no such list");
        assertThatThrownBy(() -> Datalist.read(write("a.png,0\n"), null)).hasMessageContaining("--root");
    }

    @Test
    void aFolderWithRealAndFakeSubfoldersIsADataSet() throws Exception {
        Path set = dir.resolve("set");
        for (String f : new String[] {"real/v1/a.png", "real/b.jpg", "fake/m1/v2/c.png", "fake/notes.txt"}) {
            Files.createDirectories(set.resolve(f).getParent());
            Files.writeString(set.resolve(f), "x");
        }
        Datalist d = Datalist.read(set, null);
        assertThat(d.items()).extracting(Datalist.Item::relativePath).containsExactly("real/b.jpg", "real/v1/a.png", "fake/m1/v2/c.png");
        assertThat(d.items()).extracting(Datalist.Item::label).containsExactly(0, 0, 1);
        assertThat(d.items().get(2).video()).isEqualTo("fake/m1/v2");
        Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Datalist.read(dir.resolve("empty"), null)).hasMessageContaining("real/ and fake/");
    }
}
