package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.unmask.core.hub.FakeHub;
import dev.unmask.core.hub.HubSettings;
import dev.unmask.core.io.StrictJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code unmask pull}, run in-process against a loopback Hub. */
class PullCommandTest {
    private static final String DINO_SMALL = "facebook/dinov2-small";

    @TempDir
    Path tmp;

    private FakeHub hub;
    private Path home;
    private Path hfCache;
    private final byte[] config = "{\"model_type\": \"dinov2\", \"hidden_size\": 384}\n".getBytes(StandardCharsets.UTF_8);
    private final byte[] weights = FakeHub.bytes(3_000_000, 7);

    record Run(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        hub = new FakeHub();
        home = tmp.resolve("unmask-home");
        hfCache = tmp.resolve("hf-cache");
        System.setProperty(HubSettings.ENDPOINT_PROPERTY, hub.endpoint());
        System.setProperty(HubSettings.HOME_PROPERTY, home.toString());
        System.setProperty(HubSettings.HF_CACHE_PROPERTY, hfCache.toString());
        System.setProperty(HubSettings.TOKEN_PROPERTY, "");
    }

    @AfterEach
    void tearDown() {
        hub.close();
        for (String p : List.of(HubSettings.ENDPOINT_PROPERTY, HubSettings.HOME_PROPERTY,
                HubSettings.HF_CACHE_PROPERTY, HubSettings.TOKEN_PROPERTY)) {
            System.clearProperty(p);
        }
    }

    private static Run pull(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = Stream.concat(Stream.of("pull"), Stream.of(args)).toArray(String[]::new);
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
        return new Run(code, out.toString(), err.toString());
    }

    /** Exit 2 and the error as one last line; before it only the indented lines of files already done. */
    private static void assertUserError(Run run, String... fragments) {
        assertThat(run.code()).as(run.err()).isEqualTo(2);
        List<String> lines = run.errLines();
        assertThat(lines).as(run.err()).isNotEmpty();
        String error = lines.get(lines.size() - 1);
        assertThat(error).startsWith("unmask: ");
        assertThat(lines.subList(0, lines.size() - 1)).as(run.err()).allSatisfy(l -> assertThat(l).startsWith("  "));
        assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(run.out()).isEmpty();
        for (String f : fragments) {
            assertThat(error).contains(f);
        }
    }

    private Path snapshotDir(String repo, String commit) {
        return home.resolve("models").resolve(repo.replace("/", "--")).resolve("snapshots").resolve(commit);
    }

    private Path downloads(String repo) {
        return home.resolve("models").resolve(repo.replace("/", "--")).resolve("downloads");
    }

    private String smallRepo() {
        return hub.repo(DINO_SMALL).commit("main", Map.of("config.json", config, "model.safetensors", weights));
    }

    @Test
    void pullsARegistryNameAndRecordsCommitAndHashes() throws IOException {
        String commit = smallRepo();

        Run run = pull("dinov2_vits14");

        assertThat(run.code()).as(run.err()).isZero();
        Path dir = snapshotDir(DINO_SMALL, commit);
        assertThat(run.out().strip()).isEqualTo(dir.toString());
        assertThat(run.err()).contains("pulled " + DINO_SMALL + "@main = commit " + commit);
        assertThat(Files.readAllBytes(dir.resolve("config.json"))).isEqualTo(config);
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(Files.readString(home.resolve("models/facebook--dinov2-small/refs/main"))).isEqualTo(commit);

        JsonNode manifest = StrictJson.read(dir.resolve("pull.json"));
        assertThat(manifest.get("repo").asText()).isEqualTo(DINO_SMALL);
        assertThat(manifest.get("revision").asText()).isEqualTo("main");
        assertThat(manifest.get("commit").asText()).isEqualTo(commit);
        assertThat(manifest.get("endpoint").asText()).isEqualTo(hub.endpoint());
        assertThat(manifest.at("/files/config.json/size").asLong()).isEqualTo(config.length);
        assertThat(manifest.at("/files/config.json/sha256").asText()).isEqualTo(FakeHub.sha256(config));
        assertThat(manifest.at("/files/model.safetensors/size").asLong()).isEqualTo(weights.length);
        assertThat(manifest.at("/files/model.safetensors/sha256").asText()).isEqualTo(FakeHub.sha256(weights));
        assertThat(manifest.at("/files/model.safetensors/lfs").asBoolean()).isTrue();
        try (Stream<Path> left = Files.list(downloads(DINO_SMALL))) {
            assertThat(left).isEmpty();
        }
        // The commit is pinned after the first request, and the token never goes to the CDN.
        assertThat(hub.requests("hub", "GET")).allSatisfy(r -> assertThat(r.path()).contains("/resolve/" + commit + "/"));
        assertThat(hub.requests("cdn", "GET")).hasSize(1);

        hub.clearRequests();
        Run again = pull("dinov2_vits14");
        assertThat(again.code()).isZero();
        assertThat(again.err()).contains("already pulled");
        assertThat(again.out().strip()).isEqualTo(dir.toString());
        assertThat(hub.requests()).isEmpty();

        // --json: the snapshot as the API's PullReport, valid against the published schema.
        Run json = pull("dinov2_vits14", "--json");
        assertThat(json.code()).as(json.err()).isZero();
        JsonNode report = StrictJson.parse(json.out(), "pull --json");
        JsonSchemaTest.assertValid("pullReport", report);
        assertThat(report.path("commit").asText()).isEqualTo(commit);
        assertThat(report.path("origin").asText()).isEqualTo("already-pulled");
        assertThat(report.path("directory").asText()).isEqualTo(dir.toString());
        assertThat(report.path("files")).extracting(f -> f.path("sha256").asText()).contains(FakeHub.sha256(weights), FakeHub.sha256(config));
    }

    @Test
    void aDroppedConnectionIsResumedWithRangeByTheNextPull() throws IOException {
        String commit = smallRepo();
        hub.dropNextDownloadAfter(weights, 1_200_000);

        Run first = pull(DINO_SMALL);

        assertUserError(first, "download of model.safetensors", "run the same command again to resume");
        Path dir = snapshotDir(DINO_SMALL, commit);
        assertThat(dir.resolve("model.safetensors")).doesNotExist();
        assertThat(dir.resolve("pull.json")).doesNotExist();
        Path partial = downloads(DINO_SMALL).resolve(FakeHub.sha256(weights) + ".incomplete");
        long partialSize = Files.size(partial);
        assertThat(partialSize).isPositive().isLessThan(weights.length);

        hub.clearRequests();
        Run second = pull(DINO_SMALL);

        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.err()).contains("resumed at");
        List<FakeHub.Request> cdnGets = hub.requests("cdn", "GET");
        assertThat(cdnGets).hasSize(1);
        assertThat(cdnGets.get(0).header("Range")).isEqualTo("bytes=" + partialSize + "-");
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(partial).doesNotExist();
    }

    @Test
    void aServerThatIgnoresRangeMakesTheResumeStartOver() throws IOException {
        String commit = smallRepo();
        hub.dropNextDownloadAfter(weights, 500_000);
        assertThat(pull(DINO_SMALL).code()).isEqualTo(2);
        hub.ignoreRange();

        Run second = pull(DINO_SMALL);

        assertThat(second.code()).as(second.err()).isZero();
        assertThat(Files.readAllBytes(snapshotDir(DINO_SMALL, commit).resolve("model.safetensors"))).isEqualTo(weights);
    }

    @Test
    void aWrongChecksumLeavesNoFileUnderTheFinalName() throws IOException {
        String commit = smallRepo();
        hub.repo(DINO_SMALL).publishSha256("model.safetensors", FakeHub.sha256(new byte[] {1, 2, 3}));

        Run run = pull(DINO_SMALL);

        assertUserError(run, "checksum mismatch for model.safetensors", FakeHub.sha256(weights));
        Path dir = snapshotDir(DINO_SMALL, commit);
        assertThat(dir.resolve("model.safetensors")).doesNotExist();
        assertThat(dir.resolve("pull.json")).doesNotExist();
        try (Stream<Path> left = Files.list(downloads(DINO_SMALL))) {
            assertThat(left).isEmpty();
        }
        assertThat(home.resolve("models/facebook--dinov2-small/refs/main")).doesNotExist();
    }

    @Test
    void missingReposRevisionsAndFilesAreOneLineErrors() {
        smallRepo();
        assertUserError(pull("nobody/nothing"), "no such repo on the Hub: nobody/nothing");
        assertUserError(pull(DINO_SMALL, "--revision", "v9"), "no such revision of " + DINO_SMALL + ": v9");
        hub.repo("someone/config-less").commit("main", Map.of("README.md", new byte[] {'x'}));
        assertUserError(pull("someone/config-less"), "no such repo or file", "config.json");
        hub.repo("someone/weightless").commit("main", Map.of("config.json", config));
        assertUserError(pull("someone/weightless"), "has no model.safetensors or model.safetensors.index.json");
    }

    @Test
    void offlineIsOneClearLine() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = s.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + closedPort;
        System.setProperty(HubSettings.ENDPOINT_PROPERTY, endpoint);

        Run run = pull("dinov2_vits14");

        assertUserError(run, "cannot reach the Hub at " + endpoint + ": ", "check the network or set HF_ENDPOINT");
    }

    @Test
    void aShardedRepoBringsTheIndexAndEveryShard() throws IOException {
        byte[] shard1 = FakeHub.bytes(200_000, 1);
        byte[] shard2 = FakeHub.bytes(150_000, 2);
        byte[] index = ("{\"metadata\": {\"total_size\": 350000}, \"weight_map\": {"
                + "\"a.weight\": \"model-00001-of-00002.safetensors\", \"b.weight\": \"model-00002-of-00002.safetensors\","
                + "\"c.weight\": \"model-00001-of-00002.safetensors\"}}").getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", config);
        files.put("model.safetensors.index.json", index);
        files.put("model-00001-of-00002.safetensors", shard1);
        files.put("model-00002-of-00002.safetensors", shard2);
        files.put("pytorch_model.bin", FakeHub.bytes(100, 3));
        String commit = hub.repo("facebook/dinov2-giant").commit("main", files);

        Run run = pull("dinov2_vitg14");

        assertThat(run.code()).as(run.err()).isZero();
        Path dir = snapshotDir("facebook/dinov2-giant", commit);
        assertThat(Files.readAllBytes(dir.resolve("model-00001-of-00002.safetensors"))).isEqualTo(shard1);
        assertThat(Files.readAllBytes(dir.resolve("model-00002-of-00002.safetensors"))).isEqualTo(shard2);
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors.index.json"))).isEqualTo(index);
        assertThat(dir.resolve("pytorch_model.bin")).doesNotExist();
        JsonNode manifest = StrictJson.read(dir.resolve("pull.json"));
        List<String> names = new ArrayList<>();
        manifest.get("files").fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("config.json", "model.safetensors.index.json",
                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
        assertThat(manifest.at("/files/model-00002-of-00002.safetensors/sha256").asText()).isEqualTo(FakeHub.sha256(shard2));
    }

    @Test
    void anIndexNamingFilesOutsideTheSnapshotIsRefused() {
        byte[] index = "{\"weight_map\": {\"a\": \"../../evil.safetensors\"}}".getBytes(StandardCharsets.UTF_8);
        hub.repo("evil/index").commit("main", Map.of("config.json", config, "model.safetensors.index.json", index));
        assertUserError(pull("evil/index"), "is not a plain file name");
    }

    @Test
    void aHuggingFaceCacheSnapshotIsReusedWithoutAnyRequest() throws IOException {
        String commit = "0123456789abcdef0123456789abcdef01234567";
        FakeHub.writeHuggingFaceSnapshot(hfCache, DINO_SMALL, commit, Map.of("config.json", config, "model.safetensors", weights));

        Run run = pull("dinov2_vits14");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("from the Hugging Face cache");
        assertThat(hub.requests()).isEmpty();
        Path dir = snapshotDir(DINO_SMALL, commit);
        assertThat(run.out().strip()).isEqualTo(dir.toString());
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(Files.isSymbolicLink(dir.resolve("model.safetensors"))).isFalse();
        JsonNode manifest = StrictJson.read(dir.resolve("pull.json"));
        assertThat(manifest.get("source").asText()).isEqualTo("huggingface-cache");
        assertThat(manifest.get("commit").asText()).isEqualTo(commit);
        assertThat(manifest.at("/files/model.safetensors/sha256").asText()).isEqualTo(FakeHub.sha256(weights));
    }

    @Test
    void aCorruptHuggingFaceBlobIsNotReused() throws IOException {
        String commit = smallRepo();
        FakeHub.writeHuggingFaceSnapshot(hfCache, DINO_SMALL, commit, Map.of("config.json", config, "model.safetensors", weights));
        Path blob = hfCache.resolve("models--facebook--dinov2-small/blobs/" + FakeHub.sha256(weights));
        byte[] corrupt = weights.clone();
        corrupt[1000] ^= 1;
        Files.write(blob, corrupt);

        Run run = pull("dinov2_vits14");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("does not match its checksum");
        assertThat(Files.readAllBytes(snapshotDir(DINO_SMALL, commit).resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(hub.requests("cdn", "GET")).hasSize(1);
    }

    @Test
    void revisionPicksTheBranchTagOrCommit() throws IOException {
        byte[] oldWeights = FakeHub.bytes(5000, 11);
        String v1 = hub.repo(DINO_SMALL).commit("main", Map.of("config.json", config, "model.safetensors", oldWeights));
        hub.repo(DINO_SMALL).tag("v1", v1);
        String v2 = smallRepo();
        String pr = hub.repo(DINO_SMALL).commit("refs/pr/1", Map.of("config.json", config, "model.safetensors", FakeHub.bytes(99, 5)));

        Run tagged = pull("dinov2_vits14", "--revision", "v1");
        assertThat(tagged.code()).as(tagged.err()).isZero();
        assertThat(Files.readAllBytes(snapshotDir(DINO_SMALL, v1).resolve("model.safetensors"))).isEqualTo(oldWeights);
        assertThat(Files.readString(home.resolve("models/facebook--dinov2-small/refs/v1"))).isEqualTo(v1);

        Run main = pull("dinov2_vits14");
        assertThat(main.out().strip()).isEqualTo(snapshotDir(DINO_SMALL, v2).toString());

        Run byCommit = pull(DINO_SMALL + "@" + v1);
        assertThat(byCommit.err()).contains("already pulled");
        assertThat(byCommit.out().strip()).isEqualTo(snapshotDir(DINO_SMALL, v1).toString());

        Run pullRequest = pull(DINO_SMALL, "--revision", "refs/pr/1");
        assertThat(pullRequest.code()).as(pullRequest.err()).isZero();
        assertThat(pullRequest.out().strip()).isEqualTo(snapshotDir(DINO_SMALL, pr).toString());
        assertThat(hub.requests("hub", "HEAD")).anySatisfy(r -> assertThat(r.path()).contains("/resolve/refs%2Fpr%2F1/"));
    }

    @Test
    void updateAsksTheHubWhereTheBranchIsNow() throws IOException {
        String first = smallRepo();
        assertThat(pull("dinov2_vits14").code()).isZero();
        byte[] newWeights = FakeHub.bytes(4000, 99);
        String second = hub.repo(DINO_SMALL).commit("main", Map.of("config.json", config, "model.safetensors", newWeights));
        hub.clearRequests();

        Run cached = pull("dinov2_vits14");
        assertThat(cached.out().strip()).isEqualTo(snapshotDir(DINO_SMALL, first).toString());
        assertThat(hub.requests()).isEmpty();

        Run updated = pull("dinov2_vits14", "--update");
        assertThat(updated.code()).as(updated.err()).isZero();
        assertThat(updated.out().strip()).isEqualTo(snapshotDir(DINO_SMALL, second).toString());
        assertThat(snapshotDir(DINO_SMALL, first).resolve("model.safetensors")).exists();
    }

    @Test
    void pickleOnlyReposAreRefusedWithoutDownloadingThem() {
        hub.repo("someone/old-vit").commit("main", Map.of("config.json", config, "pytorch_model.bin", FakeHub.bytes(1000, 4)));

        Run run = pull("someone/old-vit");

        assertUserError(run, "only pickle weights (pytorch_model.bin)", "safetensors", "--revision refs/pr/N");
        assertThat(hub.requests("hub", "GET")).noneSatisfy(r -> assertThat(r.path()).contains("pytorch_model"));
        assertThat(hub.requests("cdn", "GET")).isEmpty();
    }

    @Test
    void gatedReposNeedHfTokenWhichNeverGoesToTheCdn() {
        String commit = smallRepo();
        hub.repo(DINO_SMALL).gated("secret");

        assertUserError(pull("dinov2_vits14"), "is gated or private (HTTP 401)", "HF_TOKEN");
        System.setProperty(HubSettings.TOKEN_PROPERTY, "wrong");
        assertUserError(pull("dinov2_vits14"), "refused HF_TOKEN", "HTTP 403");

        System.setProperty(HubSettings.TOKEN_PROPERTY, "secret");
        hub.clearRequests();
        Run run = pull("dinov2_vits14");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out().strip()).isEqualTo(snapshotDir(DINO_SMALL, commit).toString());
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("hub"))
                .allSatisfy(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer secret"));
        assertThat(hub.requests("cdn", "GET")).isNotEmpty()
                .allSatisfy(r -> assertThat(r.header("Authorization")).isNull());
    }

    @Test
    void badInputsAreOneLineErrors() {
        assertUserError(pull(), "needs a backbone name");
        assertUserError(pull("dinov3_vits14"), "unknown backbone \"dinov3_vits14\"", "dinov2_vits14");
        assertUserError(pull("../etc/passwd"), "not a Hub repo id");
        assertUserError(pull("a/b", "--revision", "../../x"), "not a valid revision");
        assertUserError(pull("a/b@v1", "--revision", "v2"), "two revisions");
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void listShowsTheRegistry() {
        Run run = pull("--list");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("dinov2_vits14").contains("facebook/dinov2-small")
                .contains("xception").contains("timm/legacy_xception.tf_in1k");
    }

    @Test
    @SuppressWarnings("try") // the lock only has to be held
    void aSecondPullOfTheSameRepoWaitsItsTurn() throws IOException {
        smallRepo();
        Path lockFile = Files.createDirectories(home.resolve("models/facebook--dinov2-small")).resolve(".lock");
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = ch.lock()) {
            assertUserError(pull("dinov2_vits14"), "another unmask pull of " + DINO_SMALL + " is running");
        }
        assertThat(pull("dinov2_vits14").code()).isZero();
    }
}
