#include "render_fixture.hpp"

#include <berth/store/image_index.hpp>

using namespace berth;
using namespace berth::test;

namespace
{

struct StoreFixture {
    TempDir dir;
    std::unique_ptr<Store> store;
    StoreFixture()
    {
        auto opened = Store::open(dir / "store");
        REQUIRE_MESSAGE(opened, opened.error().message());
        store = std::move(opened).value();
    }
};

ImageRecord putAci(Store& store, const std::string& name, const std::string& tar,
                   const std::string& manifestJson, std::vector<AciDependency> deps = {})
{
    ImageRecord image;
    image.format = ImageFormat::Aci;
    image.name = name;
    image.tag = "1.0";
    auto blob = store.putBlob(tar, DigestAlgorithm::Sha512);
    REQUIRE(blob);
    image.layers.push_back({*blob, *blob, "application/x-tar", static_cast<int64_t>(tar.size())});
    image.id = blob->appcStr();
    auto manifest = store.putBlob(manifestJson);
    REQUIRE(manifest);
    image.manifestDigest = *manifest;
    image.dependencies = std::move(deps);
    REQUIRE(store.index().putImage(image));
    return image;
}

std::string aciManifest(const std::string& name, const std::string& extra = "")
{
    return R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":")" + name +
           R"(","labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"},)"
           R"({"name":"arch","value":"amd64"}])" +
           extra + "}";
}

} // namespace

TEST_CASE("renderImage applies every layer and renames into place")
{
    StoreFixture f;
    ImageRecord image = putOciImage(
        *f.store, {TarBuilder().dir("etc").file("etc/a", "1").file("etc/b", "1").finish(),
                   TarBuilder().file("etc/.wh.a", "").file("etc/b", "2").finish()});
    std::string dest = f.dir / "rootfs";
    auto r = renderImage(*f.store, image, dest, {});
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(listDir(dest + "/etc") == std::set<std::string>{"b"});
    CHECK(contentOf(dest + "/etc/b") == "2");
    CHECK(listDir(f.dir.path()) == std::set<std::string>{"rootfs", "store"});

    // The destination must not exist yet.
    auto again = renderImage(*f.store, image, dest, {});
    REQUIRE_FALSE(again);
    CHECK(again.error().message().find("already exists") != std::string::npos);
}

TEST_CASE("files get their container owners through the id map")
{
    IdMap map = IdMap::forCurrentUser();
    if (map.kind == IdMap::Kind::Single) {
        MESSAGE("skipped: no subordinate ids for this user (" << map.fallbackReason << ")");
        return;
    }
    StoreFixture f;
    ImageRecord image = putOciImage(*f.store, {TarBuilder()
                                                   .dir("var/www", 0755, {33, 33})
                                                   .file("var/www/index.html", "hi", 0640, {33, 33})
                                                   .file("setuid", "x", 04755, {0, 0})
                                                   .finish()});
    std::string dest = f.dir / "rootfs";
    auto r = renderImage(*f.store, image, dest, {});
    REQUIRE_MESSAGE(r, r.error().message());
    struct stat st = lstatOf(dest + "/var/www/index.html");
    CHECK(st.st_uid == map.hostUid(33));
    CHECK(st.st_gid == map.hostGid(33));
    CHECK(lstatOf(dest + "/var/www").st_uid == map.hostUid(33));
    CHECK((lstatOf(dest + "/setuid").st_mode & 07777) == 04755);
}

TEST_CASE("extraction failures leave nothing at the destination")
{
    StoreFixture f;
    ImageRecord image =
        putOciImage(*f.store, {TarBuilder().dir("ro", 0555).file("ro/x", "x").finish(),
                               TarBuilder().file("ok", "x").file("../escape", "x").finish()});
    std::string dest = f.dir / "rootfs";
    auto r = renderImage(*f.store, image, dest, {});
    REQUIRE_FALSE(r);
    std::string message = r.error().message();
    CHECK(message.find("render image 'localhost/test:latest'") != std::string::npos);
    CHECK(message.find("layer 2/2") != std::string::npos);
    CHECK(message.find("entry '../escape'") != std::string::npos);
    CHECK(listDir(f.dir.path()) == std::set<std::string>{"store"});
}

TEST_CASE("layer trees are unpacked once into the store and listed topmost first")
{
    StoreFixture f;
    std::string shared = TarBuilder().file("base", "b").finish();
    ImageRecord one = putOciImage(*f.store, {shared, TarBuilder().file("one", "1").finish()});
    ImageRecord two =
        putOciImage(*f.store, {shared, TarBuilder().dir("d").file("d/.wh..wh..opq", "").finish()});
    auto trees = prepareLayerTrees(*f.store, one, {});
    REQUIRE_MESSAGE(trees, trees.error().message());
    REQUIRE(trees->size() == 2);
    CHECK(trees->at(1) ==
          f.store->path("trees/" + layerTreeKey(one.layers[0].diffId, IdMap::Kind::Subordinate)));
    CHECK(exists(trees->at(0) + "/one"));
    ino_t baseInode = lstatOf(trees->at(1) + "/base").st_ino;

    auto second = prepareLayerTrees(*f.store, two, {});
    REQUIRE(second);
    CHECK(second->at(1) == trees->at(1));
    CHECK(lstatOf(second->at(1) + "/base").st_ino == baseInode); // reused, not unpacked again
    for (const auto& name : listDir(f.store->path("trees")))
        CHECK_MESSAGE(name.find(".tmp-") == std::string::npos, name);
}

TEST_CASE("ACI: dependencies render first, symlinks are replaced, pathWhitelist filters")
{
    StoreFixture f;
    ImageRecord base = putAci(*f.store, "example.com/base",
                              TarBuilder()
                                  .file("manifest", aciManifest("example.com/base"))
                                  .dir("rootfs")
                                  .dir("rootfs/bin")
                                  .file("rootfs/bin/sh", "base sh")
                                  .file("rootfs/bin/extra", "dropped by whitelist")
                                  .symlink("rootfs/etc", "/bin")
                                  .finish(),
                              aciManifest("example.com/base"));
    std::string appManifest =
        aciManifest("example.com/app", R"(,"pathWhitelist":["/bin/sh","/etc/conf","/app"])");
    ImageRecord app = putAci(*f.store, "example.com/app",
                             TarBuilder()
                                 .file("manifest", appManifest)
                                 .dir("rootfs")
                                 .file("rootfs/app", "app")
                                 .dir("rootfs/etc")
                                 .file("rootfs/etc/conf", "conf")
                                 .finish(),
                             appManifest, {AciDependency{"example.com/base", base.id, {}}});

    std::string dest = f.dir / "rootfs";
    auto r = renderImage(*f.store, app, dest, {});
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(contentOf(dest + "/bin/sh") == "base sh");
    CHECK(contentOf(dest + "/app") == "app");
    CHECK_FALSE(exists(dest + "/bin/extra"));
    CHECK_FALSE(exists(dest + "/manifest"));
    CHECK(S_ISDIR(lstatOf(dest + "/etc").st_mode)); // replaced the symlink
    CHECK_FALSE(exists(dest + "/bin/conf"));

    std::string own = f.dir / "own";
    REQUIRE(extractImage(*f.store, app, own, {}));
    CHECK(listDir(own) == std::set<std::string>{"app", "etc"});
}
