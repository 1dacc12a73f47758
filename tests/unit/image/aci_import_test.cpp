#include "aci_builder.hpp"

#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/image/aci_import.hpp>
#include <berth/store/store.hpp>
#include <cstdlib>
#include <dirent.h>
#include <doctest/doctest.h>
#include <openssl/sha.h>
#include <unistd.h>

using namespace berth;
using namespace acitest;

namespace
{

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-aci-import-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

int countEntries(const std::string& dir)
{
    int n = 0;
    DIR* d = ::opendir(dir.c_str());
    REQUIRE(d);
    while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
    ::closedir(d);
    return n;
}

// SHA-512 straight from OpenSSL, not through berth's Hasher.
std::string sha512Hex(const std::string& data)
{
    unsigned char md[SHA512_DIGEST_LENGTH];
    SHA512(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : md) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

ImportOptions insecure()
{
    ImportOptions options;
    options.allowUnsigned = true;
    return options;
}

struct Fixture {
    std::string dir = tempDir();
    std::unique_ptr<Store> store;

    Fixture()
    {
        auto opened = Store::open(dir + "/store");
        REQUIRE(opened);
        store = std::move(*opened);
    }
    ~Fixture() { (void)removeTree(dir); }

    std::string write(const std::string& name, const std::string& tar,
                      Packing packing = Packing::Plain)
    {
        std::string path = dir + "/" + name;
        writePacked(path, tar, packing);
        return path;
    }

    // Nothing staged, nothing published, nothing recorded.
    void checkEmpty()
    {
        CHECK(countEntries(store->path("tmp")) == 0);
        CHECK(countEntries(store->path("blobs/sha512")) == 0);
        CHECK(countEntries(store->path("blobs/sha256")) == 0);
        auto images = store->index().list();
        REQUIRE(images);
        CHECK(images->empty());
    }
};

} // namespace

TEST_CASE("an ACI imports from plain, gzip, bzip2 and xz with the appc image ID")
{
    std::string manifest = manifestJson(
        "example.com/hello",
        R"(,"labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"}],)"
        R"("app":{"exec":["/bin/hello"],"user":"0","group":"0"},)"
        R"("dependencies":[{"imageName":"example.com/base","labels":[{"name":"version","value":"2"}]}])");
    std::string tar = makeTar(simpleAci(manifest));
    std::string expectedId = "sha512-" + sha512Hex(tar);

    for (Packing packing : {Packing::Plain, Packing::Gzip, Packing::Bzip2, Packing::Xz}) {
        CAPTURE(packingName(packing));
        Fixture f;
        std::string path = f.write("hello.aci", tar, packing);
        auto record = importAciFile(*f.store, path, insecure());
        REQUIRE_MESSAGE(record, (record ? "" : record.error().message()));
        CHECK(record->id == expectedId);
        CHECK(record->format == ImageFormat::Aci);
        CHECK(record->name == "example.com/hello");
        CHECK(record->tag == "1.0");
        CHECK(record->verifiedBy == "insecure");
        CHECK(record->source == path);
        REQUIRE(record->layers.size() == 1);
        CHECK(record->layers[0].blob.appcStr() == expectedId);
        CHECK(record->layers[0].diffId == record->layers[0].blob);
        CHECK(record->layers[0].mediaType == "application/vnd.appc.aci");
        CHECK(record->layers[0].size == static_cast<int64_t>(tar.size()));
        REQUIRE(record->dependencies.size() == 1);
        CHECK(record->dependencies[0].name == "example.com/base");
        CHECK(record->importedAt > 0);

        // The stored blob is the uncompressed tar, byte for byte.
        auto stored = readFile(f.store->path("blobs/sha512/" + expectedId.substr(7)));
        REQUIRE(stored);
        CHECK(*stored == tar);
        REQUIRE(record->manifestDigest);
        auto storedManifest = f.store->readBlob(*record->manifestDigest);
        REQUIRE(storedManifest);
        CHECK(*storedManifest == manifest);
        auto parsed = readAciManifest(*f.store, *record);
        REQUIRE(parsed);
        CHECK(parsed->app->exec.front() == "/bin/hello");

        // Recorded in the index under its name and version.
        auto byName = f.store->index().resolve("example.com/hello:1.0");
        REQUIRE(byName);
        CHECK(byName->id == expectedId);
        CHECK(countEntries(f.store->path("tmp")) == 0);
    }
}

TEST_CASE("a manifest after rootfs, no version label, and bytes after the tar end are all fine")
{
    Fixture f;
    auto entries = simpleAci(manifestJson("example.com/late"));
    std::rotate(entries.begin(), entries.begin() + 1, entries.end());
    std::string tar = makeTar(entries) + std::string(4096, '\0');
    auto record = importAciFile(*f.store, f.write("late.aci", tar, Packing::Gzip), insecure());
    REQUIRE_MESSAGE(record, (record ? "" : record.error().message()));
    // The ID covers every uncompressed byte, trailing padding included.
    CHECK(record->id == "sha512-" + sha512Hex(tar));
    CHECK(record->tag == "latest");
}

TEST_CASE("an unsigned ACI is refused before anything is written, naming the flag")
{
    Fixture f;
    std::string path =
        f.write("x.aci", makeTar(simpleAci(manifestJson("example.com/signed-app"))), Packing::Xz);
    auto refused = importAciFile(*f.store, path, ImportOptions{});
    REQUIRE_FALSE(refused);
    std::string message = refused.error().message();
    CHECK(message.find("--insecure-options=image") != std::string::npos);
    CHECK(message.find("'" + path + "'") != std::string::npos);
    CHECK(message.find("berth trust --prefix example.com/signed-app") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    f.checkEmpty();
}

TEST_CASE("an ACI whose signature the caller verified is accepted and records the key")
{
    Fixture f;
    std::string path =
        f.write("s.aci", makeTar(simpleAci(manifestJson("example.com/signed"))), Packing::Gzip);
    ImportOptions options;
    options.verifiedBy = "0123456789abcdef0123456789abcdef01234567";
    auto record = importAciFile(*f.store, path, options);
    REQUIRE(record);
    CHECK(record->verifiedBy == options.verifiedBy);
    auto stored = f.store->index().findById(record->id);
    REQUIRE(stored);
    REQUIRE(*stored);
    CHECK((*stored)->verifiedBy == options.verifiedBy);
}

TEST_CASE("hostile or malformed ACIs are refused and leave nothing behind")
{
    const std::string good = manifestJson("example.com/evil");
    struct Case {
        const char* what;
        std::vector<Entry> entries;
        const char* expect;
    };
    std::vector<Case> cases = {
        {"dot-dot escape",
         {{"manifest", good}, {"rootfs", "", AE_IFDIR}, {"rootfs/../../evil", "x"}},
         "'..'"},
        {"leading dot-dot",
         {{"manifest", good}, {"rootfs", "", AE_IFDIR}, {"../evil", "x"}},
         "'..'"},
        {"absolute path",
         {{"manifest", good}, {"rootfs", "", AE_IFDIR}, {"/etc/evil", "x"}},
         "absolute"},
        {"outside rootfs",
         {{"manifest", good}, {"rootfs", "", AE_IFDIR}, {"etc/passwd", "x"}},
         "outside 'manifest' and 'rootfs/'"},
        {"hardlink escaping",
         {{"manifest", good},
          {"rootfs", "", AE_IFDIR},
          {"rootfs/pw", "", AE_IFREG, "", "../../etc/passwd"}},
         "'..'"},
        {"hardlink to manifest",
         {{"manifest", good}, {"rootfs", "", AE_IFDIR}, {"rootfs/m", "", AE_IFREG, "", "manifest"}},
         "outside rootfs/"},
        {"no manifest", {{"rootfs", "", AE_IFDIR}, {"rootfs/a", "x"}}, "no image manifest"},
        {"no rootfs", {{"manifest", good}}, "no 'rootfs'"},
        {"rootfs is a file", {{"manifest", good}, {"rootfs", "x"}}, "not a directory"},
        {"manifest is a symlink",
         {{"manifest", "", AE_IFLNK, "/etc/passwd"}, {"rootfs", "", AE_IFDIR}},
         "not a regular file"},
        {"invalid manifest",
         {{"manifest", manifestJson("Example.com/Bad")}, {"rootfs", "", AE_IFDIR}},
         "not an AC identifier"},
        {"truncated manifest",
         {{"manifest", good.substr(0, good.size() / 2)}, {"rootfs", "", AE_IFDIR}},
         "malformed JSON"},
        {"pod manifest",
         {{"manifest", R"({"acKind":"PodManifest","acVersion":"0.8.11"})"},
          {"rootfs", "", AE_IFDIR}},
         "acKind"},
        {"duplicate manifest",
         {{"manifest", good}, {"manifest", good}, {"rootfs", "", AE_IFDIR}},
         "duplicate"},
        {"duplicate entry",
         {{"manifest", good}, {"rootfs", "", AE_IFDIR}, {"rootfs/a", "1"}, {"rootfs/a", "2"}},
         "duplicate entry"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        Fixture f;
        std::string path = f.write("evil.aci", makeTar(c.entries), Packing::Gzip);
        auto refused = importAciFile(*f.store, path, insecure());
        REQUIRE_FALSE(refused);
        std::string message = refused.error().message();
        CAPTURE(message);
        CHECK(message.find(c.expect) != std::string::npos);
        CHECK(message.find("ACI '" + path + "'") != std::string::npos);
        f.checkEmpty();
    }
}

TEST_CASE("files that are not ACIs are refused clearly")
{
    Fixture f;
    std::string text = f.dir + "/text.aci";
    REQUIRE(writeFileAtomic(text, "just some text, not an archive\n"));
    auto refused = importAciFile(*f.store, text, insecure());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("is not an ACI") != std::string::npos);
    f.checkEmpty();

    // A gzip stream cut short: the tar is incomplete.
    auto entries = simpleAci(manifestJson("example.com/cut"));
    std::string noise;
    uint32_t x = 12345;
    for (int i = 0; i < 200000; ++i)
        noise += static_cast<char>((x = x * 1103515245 + 12345) >> 24);
    entries.push_back({"rootfs/noise", noise});
    std::string full = f.write("full.aci", makeTar(entries), Packing::Gzip);
    auto bytes = readFile(full);
    REQUIRE(bytes);
    std::string cut = f.dir + "/cut.aci";
    REQUIRE(writeFileAtomic(cut, bytes->substr(0, bytes->size() / 2)));
    auto truncated = importAciFile(*f.store, cut, insecure());
    REQUIRE_FALSE(truncated);
    f.checkEmpty();

    auto missing = importAciFile(*f.store, f.dir + "/missing.aci", insecure());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("missing.aci") != std::string::npos);
}

TEST_CASE("the manifest of an ACI file can be read without importing it")
{
    Fixture f;
    std::string path =
        f.write("m.aci", makeTar(simpleAci(manifestJson("example.com/peek"))), Packing::Bzip2);
    auto manifest = readAciFileManifest(path);
    REQUIRE(manifest);
    CHECK(manifest->name == "example.com/peek");
    CHECK(detectAciCompression(path).value_or(AciCompression::None) == AciCompression::Bzip2);
    f.checkEmpty();
}

TEST_CASE("an ACI built by actool imports")
{
    if (::access("/usr/bin/actool", X_OK) != 0) {
        MESSAGE("actool not installed (Debian appc-spec); skipped");
        return;
    }
    Fixture f;
    std::string layout = f.dir + "/layout";
    REQUIRE(makeDirectories(layout + "/rootfs/bin"));
    REQUIRE(writeFileAtomic(layout + "/rootfs/bin/true", "#!/bin/sh\n", 0755));
    REQUIRE(
        writeFileAtomic(layout + "/manifest",
                        manifestJson("example.com/actool-built",
                                     R"(,"labels":[{"name":"version","value":"0.1"}],)"
                                     R"("app":{"exec":["/bin/true"],"user":"0","group":"0"})")));
    std::string aci = f.dir + "/built.aci";
    std::string command = "actool build --owner-root '" + layout + "' '" + aci + "' 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    auto record = importAciFile(*f.store, aci, insecure());
    REQUIRE_MESSAGE(record, (record ? "" : record.error().message()));
    CHECK(record->name == "example.com/actool-built");
    CHECK(record->tag == "0.1");
}
