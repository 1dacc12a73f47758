#include <berth/base/file.hpp>
#include <berth/store/image_gc.hpp>
#include <berth/store/store.hpp>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace berth;

namespace
{

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-gc-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

Digest sha256(const std::string& text)
{
    return Hasher::hash(DigestAlgorithm::Sha256, text);
}

ImageRecord ociImage(const std::string& content, const std::vector<std::string>& layers)
{
    ImageRecord r;
    r.configDigest = sha256("c" + content);
    r.id = r.configDigest->str();
    r.manifestDigest = sha256("m" + content);
    for (const auto& l : layers)
        r.layers.push_back({sha256("blob" + l), sha256("diff" + l), "", 1});
    return r;
}

ImageRecord aciImage(const std::string& tar)
{
    ImageRecord r;
    r.format = ImageFormat::Aci;
    Digest tarDigest = Hasher::hash(DigestAlgorithm::Sha512, tar);
    r.id = tarDigest.appcStr();
    r.manifestDigest = sha256("aci-manifest" + tar);
    r.layers.push_back({tarDigest, tarDigest, "application/vnd.appc.aci", 1});
    // A dependency is its own image record: naming it references nothing.
    r.dependencies.push_back(
        {"example.com/base", std::string("sha512-") + std::string(128, 'a'), {}});
    return r;
}

} // namespace

TEST_CASE("an image references its manifest, config and layer blobs, and its layers' trees")
{
    ImageRecord a = ociImage("a", {"shared", "only-a"});
    ImageRecord b = ociImage("b", {"shared"});
    ImageReferences refs = imageReferences({a, b}, {});
    CHECK(refs.blobs.count(a.manifestDigest->str()));
    CHECK(refs.blobs.count(a.configDigest->str()));
    CHECK(refs.blobs.count(sha256("blobonly-a").str()));
    CHECK(refs.blobs.count(sha256("blobshared").str()));
    CHECK(refs.blobs.size() == 6); // 2 manifests, 2 configs, 2 distinct layers
    CHECK(refs.diffIds ==
          std::set<std::string>{sha256("diffshared").str(), sha256("diffonly-a").str()});
    // Layer blobs are not trees and diffIds are not blobs.
    CHECK_FALSE(refs.blobs.count(sha256("diffshared").str()));
}

TEST_CASE("an image removed from the list no longer references its own layers")
{
    ImageRecord a = ociImage("a", {"shared", "only-a"});
    ImageRecord b = ociImage("b", {"shared"});
    ImageReferences refs = imageReferences({b}, {});
    CHECK_FALSE(refs.blobs.count(a.manifestDigest->str()));
    CHECK_FALSE(refs.blobs.count(sha256("blobonly-a").str()));
    CHECK_FALSE(refs.diffIds.count(sha256("diffonly-a").str()));
    CHECK(refs.diffIds.count(sha256("diffshared").str()));
}

TEST_CASE("an ACI references its tar (sha512) and manifest; extra blobs such as signatures count")
{
    ImageRecord aci = aciImage("tar bytes");
    std::string signature = sha256("signature").str();
    ImageReferences refs = imageReferences({aci}, {signature});
    CHECK(refs.blobs.count(aci.layers[0].blob.str()));
    CHECK(refs.blobs.count(aci.manifestDigest->str()));
    CHECK(refs.blobs.count(signature));
    CHECK(refs.blobs.size() == 3);
    CHECK(refs.diffIds == std::set<std::string>{aci.layers[0].diffId.str()});
}

TEST_CASE("collectBlobs removes only unreferenced blobs and reports their bytes")
{
    std::string root = tempDir();
    auto store = Store::open(root);
    REQUIRE(store);
    auto kept = (*store)->putBlob("kept");
    auto gone = (*store)->putBlob("gone, twelve");
    auto gone512 = (*store)->putBlob("sha512 blob", DigestAlgorithm::Sha512);
    REQUIRE(kept);
    REQUIRE(gone);
    REQUIRE(gone512);
    ImageReferences refs;
    refs.blobs.insert(kept->str());

    auto dry = collectBlobs(**store, refs, true);
    REQUIRE(dry);
    CHECK(dry->count == 2);
    CHECK(dry->bytes == 12 + 11);
    CHECK((*store)->hasBlob(*gone));

    auto done = collectBlobs(**store, refs, false);
    REQUIRE(done);
    CHECK(done->count == 2);
    CHECK(done->bytes == 23);
    CHECK((*store)->hasBlob(*kept));
    CHECK_FALSE((*store)->hasBlob(*gone));
    CHECK_FALSE((*store)->hasBlob(*gone512));

    auto again = collectBlobs(**store, refs, false);
    REQUIRE(again);
    CHECK(again->count == 0);
    CHECK(removeTree(root));
}

TEST_CASE("collectStaging keeps a partial blob whose fetch lock is held")
{
    std::string root = tempDir();
    auto store = Store::open(root);
    REQUIRE(store);
    std::string hex(64, 'a');
    REQUIRE(makeDirectories(root + "/tmp", 0700));
    REQUIRE(writeFileAtomic(root + "/tmp/partial-sha256-" + hex, "12345"));
    auto tmpFd = openDirectory(root + "/tmp");
    REQUIRE(tmpFd);
    {
        // Another open file description: flock conflicts with it as with
        // another process.
        auto held = FileLock::acquire(tmpFd->get(), "fetch-sha256-" + hex + ".lock",
                                      FileLock::Mode::Shared);
        REQUIRE(held);
        auto kept = collectStaging(**store, false);
        REQUIRE(kept);
        CHECK(kept->count == 0);
        CHECK(pathExists(root + "/tmp/partial-sha256-" + hex));
    }
    auto taken = collectStaging(**store, false);
    REQUIRE(taken);
    CHECK(taken->count == 1);
    CHECK(taken->bytes == 5);
    CHECK_FALSE(pathExists(root + "/tmp/partial-sha256-" + hex));
    CHECK(removeTree(root));
}
