#include <archive.h>
#include <archive_entry.h>
#include <berth/base/file.hpp>
#include <berth/base/json.hpp>
#include <berth/image/importer.hpp>
#include <berth/image/oci_export.hpp>
#include <berth/image/oci_inspect.hpp>
#include <berth/store/store.hpp>
#include <dirent.h>
#include <doctest/doctest.h>
#include <vector>

using namespace berth;

namespace
{

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-oci-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

int countEntries(const std::string& dir)
{
    int n = 0;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return 0;
    while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
    ::closedir(d);
    return n;
}

enum class Filter { None, Gzip, Zstd };

// A tar of regular files, written with libarchive, optionally compressed.
std::string makeTar(const std::vector<std::pair<std::string, std::string>>& files,
                    Filter filter = Filter::None)
{
    std::vector<char> buffer(4 << 20);
    size_t used = 0;
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (filter == Filter::Gzip)
        archive_write_add_filter_gzip(a);
    else if (filter == Filter::Zstd)
        archive_write_add_filter_zstd(a);
    REQUIRE(archive_write_open_memory(a, buffer.data(), buffer.size(), &used) == ARCHIVE_OK);
    for (const auto& [name, content] : files) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
        REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
        REQUIRE(archive_write_data(a, content.data(), content.size()) ==
                static_cast<la_ssize_t>(content.size()));
        archive_entry_free(e);
    }
    REQUIRE(archive_write_close(a) == ARCHIVE_OK);
    archive_write_free(a);
    return std::string(buffer.data(), used);
}

std::string sha256(std::string_view data)
{
    return Hasher::hash(DigestAlgorithm::Sha256, data).str();
}

void writeBlob(const std::string& layout, std::string_view data, const std::string& name = {})
{
    std::string digest = name.empty() ? sha256(data) : name;
    REQUIRE(makeDirectories(layout + "/blobs/sha256"));
    REQUIRE(writeFileAtomic(layout + "/blobs/sha256/" + digest.substr(7), data));
}

struct Layout {
    std::string dir;
    std::string layer;
    std::string diffId;
    std::string config;
    std::string manifest;
};

// One image: a single layer holding /hello, tagged `tag`.
Layout makeLayout(const std::string& dir, Filter filter, const std::string& tag = "1.0")
{
    Layout l;
    l.dir = dir;
    std::string plain = makeTar({{"hello", "hello world\n"}});
    l.diffId = sha256(plain);
    l.layer = filter == Filter::None ? plain : makeTar({{"hello", "hello world\n"}}, filter);
    std::string layerType = filter == Filter::Gzip   ? "application/vnd.oci.image.layer.v1.tar+gzip"
                            : filter == Filter::Zstd ? "application/vnd.oci.image.layer.v1.tar+zstd"
                                                     : "application/vnd.oci.image.layer.v1.tar";
    Json config = {{"architecture", "amd64"},
                   {"os", "linux"},
                   {"config", {{"Cmd", {"/hello"}}, {"Env", {"A=1"}}}},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {l.diffId}}}}};
    l.config = config.dump();
    Json manifest = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config",
         {{"mediaType", "application/vnd.oci.image.config.v1+json"},
          {"digest", sha256(l.config)},
          {"size", l.config.size()}}},
        {"layers",
         {{{"mediaType", layerType}, {"digest", sha256(l.layer)}, {"size", l.layer.size()}}}}};
    l.manifest = manifest.dump();
    Json index = {{"schemaVersion", 2},
                  {"manifests",
                   {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"digest", sha256(l.manifest)},
                     {"size", l.manifest.size()},
                     {"annotations", {{"org.opencontainers.image.ref.name", tag}}}}}}};
    REQUIRE(makeDirectories(dir));
    REQUIRE(writeFileAtomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
    REQUIRE(writeFileAtomic(dir + "/index.json", index.dump()));
    writeBlob(dir, l.layer);
    writeBlob(dir, l.config);
    writeBlob(dir, l.manifest);
    return l;
}

Result<ImageRecord> importRef(Store& store, const std::string& text, bool allowUnsigned = true)
{
    auto ref = ImageReference::parse(text);
    REQUIRE(ref);
    ImportOptions options;
    options.allowUnsigned = allowUnsigned;
    return importImage(store, *ref, options);
}

void checkStoreEmpty(Store& store, const std::string& root)
{
    CHECK(countEntries(root + "/blobs/sha256") == 0);
    CHECK(countEntries(root + "/tmp") == 0);
    auto images = store.index().list();
    REQUIRE(images);
    CHECK(images->empty());
}

} // namespace

TEST_CASE("an OCI layout imports with gzip, zstd and plain layers")
{
    std::string work = tempDir();
    auto store = Store::open(work + "/store");
    REQUIRE(store);
    for (Filter filter : {Filter::Gzip, Filter::Zstd, Filter::None}) {
        std::string name = filter == Filter::Gzip ? "gz" : filter == Filter::Zstd ? "zst" : "plain";
        Layout l = makeLayout(work + "/" + name, filter);
        auto record = importRef(**store, "oci:" + l.dir);
        REQUIRE_MESSAGE(record, record.error().message());
        CHECK(record->id == sha256(l.config));
        CHECK(record->name == "localhost/" + name);
        CHECK(record->tag == "1.0");
        REQUIRE(record->layers.size() == 1);
        CHECK(record->layers[0].blob.str() == sha256(l.layer));
        CHECK(record->layers[0].diffId.str() == l.diffId);
        CHECK((*store)->hasBlob(record->layers[0].blob));
        CHECK(*readImageManifest(**store, *record) == l.manifest);
        auto resolved = (*store)->index().resolve(name + ":1.0");
        REQUIRE(resolved);
        CHECK(resolved->id == record->id);
        auto app = ociAppSpec(**store, *record);
        REQUIRE(app);
        CHECK(app->cmd == std::vector<std::string>{"/hello"});
        CHECK(app->name == name);
    }
    CHECK(countEntries(work + "/store/tmp") == 0);
    CHECK(removeTree(work));
}

TEST_CASE("an explicit TAG selects by ref name; an unknown one is refused")
{
    std::string work = tempDir();
    auto store = Store::open(work + "/store");
    REQUIRE(store);
    Layout l = makeLayout(work + "/layout", Filter::Gzip, "stable");
    auto tagged = importRef(**store, "oci:" + l.dir + ":stable");
    REQUIRE(tagged);
    CHECK(tagged->tag == "stable");
    auto missing = importRef(**store, "oci:" + l.dir + ":nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("no image tagged 'nope'") != std::string::npos);
    CHECK(removeTree(work));
}

TEST_CASE("a tampered layer is refused and leaves nothing in the store")
{
    std::string work = tempDir();
    std::string root = work + "/store";
    auto store = Store::open(root);
    REQUIRE(store);

    SUBCASE("digest mismatch")
    {
        Layout l = makeLayout(work + "/layout", Filter::Gzip);
        std::string evil = l.layer;
        evil[evil.size() / 2] ^= 0x01;
        writeBlob(l.dir, evil, sha256(l.layer));
        auto record = importRef(**store, "oci:" + l.dir);
        REQUIRE_FALSE(record);
        CHECK(record.error().message().find("mismatch") != std::string::npos);
        checkStoreEmpty(**store, root);
    }
    SUBCASE("size mismatch: longer than the descriptor")
    {
        Layout l = makeLayout(work + "/layout", Filter::None);
        writeBlob(l.dir, l.layer + std::string(512, '\0'), sha256(l.layer));
        auto record = importRef(**store, "oci:" + l.dir);
        REQUIRE_FALSE(record);
        CHECK(record.error().message().find("size mismatch") != std::string::npos);
        checkStoreEmpty(**store, root);
    }
    SUBCASE("diff_id mismatch")
    {
        Layout l = makeLayout(work + "/layout", Filter::Gzip);
        // A config that claims another uncompressed layer, re-hashed so that
        // only the diff_id check can catch it.
        Json config = parseJson(l.config, "c").value();
        config["rootfs"]["diff_ids"][0] = "sha256:" + std::string(64, '0');
        std::string configText = config.dump();
        Json manifest = parseJson(l.manifest, "m").value();
        manifest["config"]["digest"] = sha256(configText);
        manifest["config"]["size"] = configText.size();
        std::string manifestText = manifest.dump();
        writeBlob(l.dir, configText);
        writeBlob(l.dir, manifestText);
        Json index = {{"schemaVersion", 2},
                      {"manifests",
                       {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                         {"digest", sha256(manifestText)},
                         {"size", manifestText.size()}}}}};
        REQUIRE(writeFileAtomic(l.dir + "/index.json", index.dump()));
        auto record = importRef(**store, "oci:" + l.dir);
        REQUIRE_FALSE(record);
        CHECK(record.error().message().find("diff_id mismatch") != std::string::npos);
        checkStoreEmpty(**store, root);
    }
    SUBCASE("missing blob")
    {
        Layout l = makeLayout(work + "/layout", Filter::Gzip);
        REQUIRE(::unlink((l.dir + "/blobs/sha256/" + sha256(l.layer).substr(7)).c_str()) == 0);
        auto record = importRef(**store, "oci:" + l.dir);
        REQUIRE_FALSE(record);
        CHECK(record.error().message().find("missing blob") != std::string::npos);
        checkStoreEmpty(**store, root);
    }
    SUBCASE("truncated index.json")
    {
        Layout l = makeLayout(work + "/layout", Filter::Gzip);
        std::string index = readFile(l.dir + "/index.json").value();
        REQUIRE(writeFileAtomic(l.dir + "/index.json", index.substr(0, index.size() - 3)));
        auto record = importRef(**store, "oci:" + l.dir);
        REQUIRE_FALSE(record);
        CHECK(record.error().message().find("malformed JSON") != std::string::npos);
        checkStoreEmpty(**store, root);
    }
    SUBCASE("a digest that is a path")
    {
        Layout l = makeLayout(work + "/layout", Filter::Gzip);
        Json index = {{"schemaVersion", 2},
                      {"manifests",
                       {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                         {"digest", "sha256:../../../../etc/passwd"},
                         {"size", 10}}}}};
        REQUIRE(writeFileAtomic(l.dir + "/index.json", index.dump()));
        auto record = importRef(**store, "oci:" + l.dir);
        REQUIRE_FALSE(record);
        CHECK(record.error().message().find("invalid digest") != std::string::npos);
        checkStoreEmpty(**store, root);
    }
    CHECK(removeTree(work));
}

TEST_CASE("an unsigned image is refused with one line naming the flag, before any write")
{
    std::string work = tempDir();
    std::string root = work + "/store";
    auto store = Store::open(root);
    REQUIRE(store);
    Layout l = makeLayout(work + "/layout", Filter::Gzip);
    auto record = importRef(**store, "oci:" + l.dir, false);
    REQUIRE_FALSE(record);
    std::string message = record.error().message();
    CHECK(message.find("--insecure-options=image") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    checkStoreEmpty(**store, root);
    CHECK(removeTree(work));
}

TEST_CASE("an exported layout imports again as the same image")
{
    std::string work = tempDir();
    auto store = Store::open(work + "/store");
    REQUIRE(store);
    Layout l = makeLayout(work + "/layout", Filter::Gzip);
    auto record = importRef(**store, "oci:" + l.dir);
    REQUIRE(record);
    REQUIRE(exportOciLayout(**store, *record, work + "/out", "v2"));
    auto other = Store::open(work + "/store2");
    REQUIRE(other);
    auto again = importRef(**other, "oci:" + work + "/out:v2");
    REQUIRE_MESSAGE(again, again.error().message());
    CHECK(again->id == record->id);
    CHECK(again->layers[0].diffId == record->layers[0].diffId);
    CHECK(removeTree(work));
}

TEST_CASE("oci-archive and docker-archive import; escaping paths are refused")
{
    std::string work = tempDir();
    std::string root = work + "/store";
    auto store = Store::open(root);
    REQUIRE(store);
    Layout l = makeLayout(work + "/layout", Filter::Gzip, "latest");

    std::string ociArchive =
        makeTar({{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
                 {"index.json", readFile(l.dir + "/index.json").value()},
                 {"blobs/sha256/" + sha256(l.layer).substr(7), l.layer},
                 {"blobs/sha256/" + sha256(l.config).substr(7), l.config},
                 {"blobs/sha256/" + sha256(l.manifest).substr(7), l.manifest}});
    REQUIRE(writeFileAtomic(work + "/image.tar", ociArchive));
    auto fromOci = importRef(**store, "oci-archive:" + work + "/image.tar");
    REQUIRE_MESSAGE(fromOci, fromOci.error().message());
    CHECK(fromOci->id == sha256(l.config));
    CHECK(fromOci->name == "localhost/image");

    std::string plainLayer = makeTar({{"hello", "hello world\n"}});
    Json dockerManifest = Json::array({{{"Config", "config.json"},
                                        {"RepoTags", {"example.com/hello:2"}},
                                        {"Layers", {"abc/layer.tar"}}}});
    REQUIRE(writeFileAtomic(work + "/docker.tar", makeTar({{"manifest.json", dockerManifest.dump()},
                                                           {"config.json", l.config},
                                                           {"abc/layer.tar", plainLayer}})));
    auto fromDocker = importRef(**store, "docker-archive:" + work + "/docker.tar");
    REQUIRE_MESSAGE(fromDocker, fromDocker.error().message());
    CHECK(fromDocker->id == sha256(l.config));
    CHECK(fromDocker->name == "example.com/hello");
    CHECK(fromDocker->tag == "2");
    CHECK(fromDocker->layers[0].diffId.str() == l.diffId);

    Json evil = Json::array(
        {{{"Config", "config.json"}, {"RepoTags", nullptr}, {"Layers", {"../../etc/passwd"}}}});
    REQUIRE(writeFileAtomic(work + "/evil.tar",
                            makeTar({{"manifest.json", evil.dump()}, {"config.json", l.config}})));
    auto refused = importRef(**store, "docker-archive:" + work + "/evil.tar");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("..") != std::string::npos);

    REQUIRE(writeFileAtomic(work + "/evil2.tar", makeTar({{"../escape", "x"}})));
    CHECK_FALSE(importRef(**store, "oci-archive:" + work + "/evil2.tar"));
    CHECK_FALSE(pathExists(work + "/escape"));
    CHECK(countEntries(root + "/tmp") == 0);
    CHECK(removeTree(work));
}
