package dev.unmask.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.unmask.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real symlinks inside the root that lead out of it are refused unless the user allows them. */
class DatalistLinksTest {
    @TempDir
    Path tmp;
    Path root;
    Path outside;

    @BeforeEach
    void layout() throws Exception {
        root = Files.createDirectories(tmp.resolve("root"));
        outside = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.writeString(outside.resolve("passwd"), "secret\n");
        Files.writeString(outside.resolve("photo.png"), "not really\n");
        Files.createDirectories(root.resolve("faces"));
        Files.writeString(root.resolve("faces/a.png"), "inside\n");
        Files.createSymbolicLink(root.resolve("linkdir"), outside);
        Files.createSymbolicLink(root.resolve("faces/linked.png"), outside.resolve("photo.png"));
        // A link that stays inside the root is fine.
        Files.createSymbolicLink(root.resolve("faces/alias.png"), root.resolve("faces/a.png"));
    }

    Path list(String text) throws Exception {
        Path l = tmp.resolve("list.csv");
        Files.writeString(l, text);
        return l;
    }

    @Test
    void aRowThroughALinkedFolderIsRefused() throws Exception {
        Path l = list("faces/a.png,0\nlinkdir/passwd,1\n");
        assertThatThrownBy(() -> Datalist.read(l, root)).isInstanceOf(UserError.class)
                .hasMessageContaining("line 2").hasMessageContaining("linkdir/passwd")
                .hasMessageContaining(outside.toRealPath().resolve("passwd").toString()).hasMessageContaining("--allow-links-outside-root");
    }

    @Test
    void aLinkedFileIsRefusedAndALinkInsideIsNot() throws Exception {
        assertThatThrownBy(() -> Datalist.read(list("faces/a.png,0\nfaces/linked.png,1\n"), root)).isInstanceOf(UserError.class)
                .hasMessageContaining("faces/linked.png");
        assertThat(Datalist.read(list("faces/a.png,0\nfaces/alias.png,1\n"), root).size()).isEqualTo(2);
    }

    @Test
    void theOptionFollowsLinksOut() throws Exception {
        Datalist d = Datalist.read(list("faces/a.png,0\nlinkdir/passwd,1\nfaces/linked.png,1\n"), root, true);
        assertThat(d.size()).isEqualTo(3);
    }

    @Test
    void aFolderDataSetWithALinkedImageIsRefused() throws Exception {
        Path set = Files.createDirectories(tmp.resolve("set"));
        Files.createDirectories(set.resolve("real"));
        Files.createDirectories(set.resolve("fake"));
        Files.writeString(set.resolve("real/r.png"), "r\n");
        Files.createSymbolicLink(set.resolve("fake/f.png"), outside.resolve("photo.png"));
        assertThatThrownBy(() -> Datalist.read(set, null)).isInstanceOf(UserError.class).hasMessageContaining("fake/f.png");
        assertThat(Datalist.read(set, null, true).size()).isEqualTo(2);
        // The whole fake/ folder a link out of the set: its images are outside too.
        Files.delete(set.resolve("fake/f.png"));
        Files.delete(set.resolve("fake"));
        Files.createSymbolicLink(set.resolve("fake"), outside);
        assertThatThrownBy(() -> Datalist.read(set, null)).isInstanceOf(UserError.class).hasMessageContaining("fake/");
        assertThat(Datalist.read(set, null, true).size()).isEqualTo(2);
    }

    @Test
    void aRootThatIsItselfALinkIsWhereItLeads() throws Exception {
        Path alias = tmp.resolve("root-alias");
        Files.createSymbolicLink(alias, root);
        assertThat(Datalist.read(list("faces/a.png,0\nfaces/alias.png,1\n"), alias).size()).isEqualTo(2);
    }
}
