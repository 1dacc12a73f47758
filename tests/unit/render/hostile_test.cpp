#include "../../fixtures/hostile/hostile_corpus.hpp"
#include "render_fixture.hpp"

#include <unistd.h>

using namespace berth;
using namespace berth::test;

namespace
{

// Renders one hostile case through the store, as `berth image render`
// would after a fetch that did not look inside the layers.
Result<void> renderCase(Store& store, const fixtures::HostileCase& c, const std::string& dest)
{
    ImageRecord image;
    image.name = "localhost/hostile-" + c.name;
    image.tag = "latest";
    image.id = "sha256:" + std::string(64, '0');
    for (const auto& layer : c.layers) {
        Digest diffId =
            Hasher::hash(DigestAlgorithm::Sha256, layer.wrongDiffId ? layer.tar + "x" : layer.tar);
        Digest blob = Hasher::hash(DigestAlgorithm::Sha256, layer.blob);
        if (layer.wrongBlobDigest) {
            blob = Hasher::hash(DigestAlgorithm::Sha256, layer.blob + "x");
            REQUIRE(makeDirectories(store.path("blobs/sha256")));
            REQUIRE(writeFileAtomic(store.blobPath(blob), layer.blob));
        } else {
            REQUIRE(store.putBlob(layer.blob));
        }
        image.layers.push_back({blob, diffId, "application/vnd.oci.image.layer.v1.tar+gzip", 0});
    }
    RenderOptions options;
    if (c.maxEntries) options.limits.maxEntries = *c.maxEntries;
    if (c.maxBytes) options.limits.maxBytes = *c.maxBytes;
    return renderImage(store, image, dest, options);
}

} // namespace

TEST_CASE("the hostile corpus is refused and touches nothing outside")
{
    TempDir dir;
    std::string sentinel = dir / "sentinel";
    REQUIRE(makeDirectories(sentinel));
    REQUIRE(writeFileAtomic(sentinel + "/secret", "secret"));
    auto store = Store::open(dir / "store");
    REQUIRE(store);
    REQUIRE(makeDirectories(dir / "out"));
    bool realRoot = IdMap::forCurrentUser().kind == IdMap::Kind::Identity;

    auto cases = fixtures::hostileCases(sentinel);
    CHECK(cases.size() >= 12);
    for (const auto& c : cases) {
        CAPTURE(c.name);
        std::string dest = dir / ("out/" + c.name);
        auto r = renderCase(**store, c, dest);
        if (c.expect == fixtures::HostileCase::Expect::Refused) {
            REQUIRE_FALSE_MESSAGE(r, c.attack);
            std::string message = r.error().message();
            CAPTURE(message);
            MESSAGE(c.name << ": " << message);
            CHECK(message.find(c.message) != std::string::npos);
            // One line naming the image (and, for member attacks, the layer).
            CHECK(message.find("localhost/hostile-" + c.name) != std::string::npos);
            CHECK(message.find('\n') == std::string::npos);
            CHECK_FALSE(exists(dest));
        } else {
            if (!r) FAIL(r.error().message());
            if (!realRoot) CHECK_FALSE(exists(dest + "/" + c.absent));
        }
        CHECK(listDir(sentinel) == std::set<std::string>{"secret"});
        CHECK(contentOf(sentinel + "/secret") == "secret");
        for (const auto& name : listDir(dir / "out"))
            CHECK_MESSAGE(name.find(".tmp-") == std::string::npos, name);
    }
}
