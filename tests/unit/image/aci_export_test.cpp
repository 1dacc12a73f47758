#include "aci_builder.hpp"

#include <berth/base/file.hpp>
#include <berth/image/aci_export.hpp>
#include <berth/image/aci_import.hpp>
#include <berth/store/store.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <map>
#include <unistd.h>

using namespace berth;
using namespace acitest;

namespace
{

struct Fixture {
    std::string dir;
    std::unique_ptr<Store> store;

    Fixture()
    {
        char tmpl[] = "/tmp/berth-aci-export-test-XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        dir = tmpl;
        auto opened = Store::open(dir + "/store");
        REQUIRE(opened);
        store = std::move(*opened);
    }
    ~Fixture() { (void)removeTree(dir); }
};

ImportOptions insecure()
{
    ImportOptions options;
    options.allowUnsigned = true;
    return options;
}

struct Listed {
    unsigned type;
    std::string data;
    int64_t uid;
    std::string link;
};

// Every entry of a tar (any packing) by path.
std::map<std::string, Listed> listTar(const std::string& bytes,
                                      std::map<std::string, size_t>* order = nullptr)
{
    std::map<std::string, Listed> out;
    archive* a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    REQUIRE(archive_read_open_memory(a, bytes.data(), bytes.size()) == ARCHIVE_OK);
    archive_entry* entry;
    while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
        Listed l{archive_entry_filetype(entry), "", archive_entry_uid(entry), ""};
        if (const char* h = archive_entry_hardlink(entry))
            l.link = std::string("hardlink:") + h;
        else if (const char* s = archive_entry_symlink(entry))
            l.link = s;
        char buffer[4096];
        la_ssize_t n;
        while ((n = archive_read_data(a, buffer, sizeof buffer)) > 0)
            l.data.append(buffer, static_cast<size_t>(n));
        if (order) (*order)[archive_entry_pathname(entry)] = order->size();
        out[archive_entry_pathname(entry)] = l;
    }
    archive_read_free(a);
    return out;
}

bool actoolValidates(const std::string& file)
{
    if (::access("/usr/bin/actool", X_OK) != 0) return true;
    std::string command = "actool validate '" + file + "' >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
}

} // namespace

TEST_CASE("an imported ACI exports to a file that imports back to the same image ID")
{
    Fixture f;
    std::string tar = makeTar(simpleAci(manifestJson(
        "example.com/round", R"(,"app":{"exec":["/bin/hello"],"user":"0","group":"0"})")));
    std::string path = f.dir + "/in.aci";
    writePacked(path, tar, Packing::Xz);
    auto record = importAciFile(*f.store, path, insecure());
    REQUIRE(record);

    for (const char* name : {"out.aci", "out.tar"}) {
        CAPTURE(name);
        std::string out = f.dir + "/" + name;
        auto exported = exportAci(*f.store, *record, out);
        REQUIRE_MESSAGE(exported, (exported ? "" : exported.error().message()));
        auto bytes = readFile(out);
        REQUIRE(bytes);
        if (std::string(name) == "out.tar")
            CHECK(*bytes == tar);
        else
            CHECK(static_cast<unsigned char>((*bytes)[0]) == 0x1f); // gzip
        CHECK(actoolValidates(out));

        Fixture g;
        auto again = importAciFile(*g.store, out, insecure());
        REQUIRE(again);
        CHECK(again->id == record->id);
    }
}

TEST_CASE("an export that fails leaves no file behind")
{
    Fixture f;
    std::string tar = makeTar(simpleAci(manifestJson("example.com/gone")));
    std::string path = f.dir + "/in.aci";
    writePacked(path, tar, Packing::Plain);
    auto record = importAciFile(*f.store, path, insecure());
    REQUIRE(record);
    // A damaged store: the blob no longer matches its digest.
    std::string blob = f.store->blobPath(record->layers[0].blob);
    REQUIRE(writeFileAtomic(blob, tar + "tampered"));
    auto exported = exportAci(*f.store, *record, f.dir + "/out.aci");
    REQUIRE_FALSE(exported);
    CHECK(exported.error().message().find("does not match") != std::string::npos);
    CHECK_FALSE(pathExists(f.dir + "/out.aci"));
    int leftovers = 0;
    for (const char* n : {"out.aci"})
        leftovers += pathExists(f.dir + "/" + n);
    CHECK(leftovers == 0);
}

TEST_CASE("an OCI image exports as an ACI: manifest from the config, layers flattened")
{
    Fixture f;
    // Bottom layer: a small tree. Top layer: a whiteout, an opaque directory,
    // a replaced file and a file that replaces a directory.
    std::string lower = makeTar({
        {"./", "", AE_IFDIR},
        {"bin/", "", AE_IFDIR},
        {"bin/sh", "lower shell", AE_IFREG, "", "", 0755},
        {"bin/link", "", AE_IFREG, "", "bin/sh"},
        {"etc/", "", AE_IFDIR},
        {"etc/removed", "gone"},
        {"etc/kept", "kept", AE_IFREG, "", "", 0600, 33, 33},
        {"opaque/", "", AE_IFDIR},
        {"opaque/old", "old"},
        {"dir-then-file/", "", AE_IFDIR},
        {"dir-then-file/child", "child"},
        {"var/", "", AE_IFDIR},
        {"var/log", "", AE_IFLNK, "/tmp"},
    });
    std::string upper = makeTar({
        {"bin/sh", "upper shell", AE_IFREG, "", "", 0755},
        {"etc/.wh.removed", ""},
        {"opaque/", "", AE_IFDIR},
        {"opaque/.wh..wh..opq", ""},
        {"opaque/new", "new"},
        {"dir-then-file", "now a file"},
    });
    std::string lowerGz = f.dir + "/lower.tar.gz";
    writePacked(lowerGz, lower, Packing::Gzip);
    auto lowerBytes = readFile(lowerGz);
    REQUIRE(lowerBytes);
    auto lowerBlob = f.store->putBlob(*lowerBytes);
    auto upperBlob = f.store->putBlob(upper);
    REQUIRE(lowerBlob);
    REQUIRE(upperBlob);
    Digest lowerDiff = Hasher::hash(DigestAlgorithm::Sha256, lower);
    Digest upperDiff = *upperBlob;
    std::string config =
        R"({"architecture":"arm64","os":"linux","created":"2024-01-02T03:04:05.123456789Z",
      "config":{"User":"33:44","Env":["PATH=/usr/bin:/bin","A=1","A=2","BAD NAME=x"],
        "Entrypoint":["/bin/sh"],"Cmd":["-c","echo hi"],"WorkingDir":"/work",
        "ExposedPorts":{"80/tcp":{},"53/udp":{}},"Volumes":{"/data":{}},
        "Labels":{"org.opencontainers.image.title":"Busy","Not Valid":"x"}},
      "rootfs":{"type":"layers","diff_ids":[")" +
        lowerDiff.str() + "\",\"" + upperDiff.str() + "\"]}}";
    auto configDigest = f.store->putBlob(config);
    REQUIRE(configDigest);

    ImageRecord oci;
    oci.id = configDigest->str();
    oci.format = ImageFormat::Oci;
    oci.name = "localhost/busybox";
    oci.tag = "1.36";
    oci.configDigest = *configDigest;
    oci.layers = {{*lowerBlob, lowerDiff, "application/vnd.oci.image.layer.v1.tar+gzip", 1},
                  {*upperBlob, upperDiff, "application/vnd.oci.image.layer.v1.tar", 1}};
    REQUIRE(f.store->index().putImage(oci));

    auto manifest = ociConfigToAciManifest(*f.store, oci);
    REQUIRE_MESSAGE(manifest, (manifest ? "" : manifest.error().message()));
    CHECK(manifest->name == "localhost/busybox");
    CHECK(manifest->label("version") == "1.36");
    CHECK(manifest->label("os") == "linux");
    CHECK(manifest->label("arch") == "aarch64");
    REQUIRE(manifest->app);
    CHECK(manifest->app->exec == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
    CHECK(manifest->app->user == "33");
    CHECK(manifest->app->group == "44");
    CHECK(manifest->app->workingDirectory == "/work");
    CHECK(manifest->app->environment == AciNameValues{{"PATH", "/usr/bin:/bin"}, {"A", "2"}});
    CHECK(manifest->app->ports.size() == 2);
    REQUIRE(manifest->app->mountPoints.size() == 1);
    CHECK(manifest->app->mountPoints[0].name == "data");
    CHECK(manifest->annotation("org.opencontainers.image.title") == "Busy");
    CHECK(manifest->annotation("created"));

    std::string out = f.dir + "/busybox.aci";
    auto exported = exportAci(*f.store, oci, out);
    REQUIRE_MESSAGE(exported, (exported ? "" : exported.error().message()));
    CHECK(actoolValidates(out));

    auto bytes = readFile(out, size_t{1} << 30);
    REQUIRE(bytes);
    std::map<std::string, size_t> order;
    auto entries = listTar(*bytes, &order);
    CHECK(entries.count("manifest") == 1);
    CHECK(entries.count("rootfs/") + entries.count("rootfs") == 1);
    CHECK(entries.at("rootfs/bin/sh").data == "upper shell");
    // The link was made to the lower shell; the upper layer replaced bin/sh,
    // so the link keeps the old content as a file of its own.
    CHECK(entries.at("rootfs/bin/link").link.empty());
    CHECK(entries.at("rootfs/bin/link").data == "lower shell");
    CHECK(entries.count("rootfs/etc/removed") == 0);
    CHECK(entries.at("rootfs/etc/kept").uid == 33);
    CHECK(entries.count("rootfs/opaque/old") == 0);
    CHECK(entries.at("rootfs/opaque/new").data == "new");
    CHECK(entries.at("rootfs/dir-then-file").data == "now a file");
    CHECK(entries.count("rootfs/dir-then-file/child") == 0);
    CHECK(entries.at("rootfs/var/log").link == "/tmp");
    for (const auto& [path, entry] : entries)
        CHECK_MESSAGE(path.find(".wh.") == std::string::npos, path);
    // The upper layer restated opaque/ after the lower layer filled it; the
    // directory still comes before what is in it.
    CHECK(order.at("rootfs/opaque/") < order.at("rootfs/opaque/new"));
    CHECK(order.at("rootfs/etc/") < order.at("rootfs/etc/kept"));

    // And the ACI imports.
    auto imported = importAciFile(*f.store, out, insecure());
    REQUIRE_MESSAGE(imported, (imported ? "" : imported.error().message()));
    CHECK(imported->name == "localhost/busybox");
    CHECK(imported->tag == "1.36");
}
