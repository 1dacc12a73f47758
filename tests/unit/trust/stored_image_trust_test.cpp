// The per-run check: the verifying key still trusted, and the stored
// manifest and config still chaining to the verified digest. No gpg: this
// test links only the berth_trust_stored library, as the warm-run front
// binary will.
#include <berth/base/file.hpp>
#include <berth/trust/containers_policy_trust.hpp>
#include <berth/trust/keyring.hpp>
#include <berth/trust/prefix.hpp>
#include <berth/trust/stored_image_trust.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <sys/stat.h>

using namespace berth;

namespace
{

const std::string kFpr = "0123456789abcdef0123456789abcdef01234567";

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-stored-trust-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

struct Fixture {
    std::string dir = tempDir();
    std::unique_ptr<Store> store;
    KeyringPaths keyrings{dir + "/vendor", dir + "/system", dir + "/user"};
    ImageRecord image;
    std::string layerHex = std::string(64, 'a');
    std::string diffHex = std::string(64, 'b');

    Fixture()
    {
        auto opened = Store::open(dir + "/store");
        REQUIRE(opened);
        store = std::move(*opened);
        std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers",)"
                             R"("diff_ids":["sha256:)" +
                             diffHex + R"("]}})";
        auto configDigest = store->putBlob(config);
        REQUIRE(configDigest);
        std::string manifest = R"({"schemaVersion":2,"config":{"digest":")" + configDigest->str() +
                               R"(","size":1},"layers":[{"digest":"sha256:)" + layerHex +
                               R"(","size":1}]})";
        auto manifestDigest = store->putBlob(manifest);
        REQUIRE(manifestDigest);
        image.id = configDigest->str();
        image.format = ImageFormat::Oci;
        image.name = "registry.example/team/app";
        image.manifestDigest = *manifestDigest;
        image.configDigest = *configDigest;
        auto layer = Digest::parse("sha256:" + layerHex);
        auto diff = Digest::parse("sha256:" + diffHex);
        REQUIRE(layer);
        REQUIRE(diff);
        image.layers.push_back({*layer, *diff, "", 1});
        image.verifiedBy = kFpr;
    }

    void trustFor(const std::string& prefix)
    {
        Keyring keyring(keyrings);
        auto added = keyring.add(KeyStore::User, KeyScope::forPrefix(prefix), kFpr, "key data");
        REQUIRE(added);
    }

    void appendToBlob(const Digest& digest)
    {
        std::string path = store->blobPath(digest);
        ::chmod(path.c_str(), 0644);
        auto text = readFile(path, 1 << 20);
        REQUIRE(text);
        REQUIRE(writeFileAtomic(path, *text + " ", 0644));
    }
};

} // namespace

TEST_CASE("an image verified by a key still trusted, with intact blobs, passes")
{
    Fixture f;
    f.trustFor("registry.example/team");
    CHECK(checkStoredImageTrust(*f.store, f.image, f.keyrings));
}

TEST_CASE("an image whose key is no longer trusted for its name is refused, naming the key")
{
    Fixture f;
    f.trustFor("registry.example/other");
    auto result = checkStoredImageTrust(*f.store, f.image, f.keyrings);
    REQUIRE(!result);
    CHECK(result.error().message().find(kFpr) != std::string::npos);
    CHECK(result.error().message().find("no longer trusted") != std::string::npos);
}

TEST_CASE("images stored with --insecure-options=image are not checked")
{
    Fixture f;
    f.image.verifiedBy = "insecure";
    f.appendToBlob(*f.image.configDigest);
    CHECK(checkStoredImageTrust(*f.store, f.image, f.keyrings));
}

TEST_CASE("a changed manifest or config blob breaks the chain")
{
    Fixture f;
    f.trustFor("registry.example");
    SUBCASE("config")
    {
        f.appendToBlob(*f.image.configDigest);
    }
    SUBCASE("manifest")
    {
        f.appendToBlob(*f.image.manifestDigest);
    }
    auto result = checkStoredImageTrust(*f.store, f.image, f.keyrings);
    REQUIRE(!result);
    CHECK(result.error().message().find("no longer matches what was verified") !=
          std::string::npos);
}

TEST_CASE("a record whose layers or diff_ids differ from the verified manifest is refused")
{
    Fixture f;
    f.trustFor("registry.example");
    SUBCASE("layer")
    {
        auto other = Digest::parse("sha256:" + std::string(64, 'c'));
        REQUIRE(other);
        f.image.layers[0].blob = *other;
    }
    SUBCASE("diff_id")
    {
        auto other = Digest::parse("sha256:" + std::string(64, 'd'));
        REQUIRE(other);
        f.image.layers[0].diffId = *other;
    }
    SUBCASE("an extra layer")
    {
        f.image.layers.push_back(f.image.layers[0]);
    }
    CHECK(!checkStoredDigestChain(*f.store, f.image));
    CHECK(!checkStoredImageTrust(*f.store, f.image, f.keyrings));
}

TEST_CASE("a policy.json requirement with a type or keyType that is not a string is an error")
{
    // Found by the policy_json fuzzer: these threw out of berth (at every
    // run, which checks the policy) instead of failing with a message.
    for (
        const char* policy :
        {R"({"transports": {"docker": {"registry.example": [{"type": "signedBy", "keyType": 7}]}}})",
         R"({"transports": {"docker": {"registry.example": [{"type": ["signedBy"]}]}}})"}) {
        CAPTURE(policy);
        auto keys = containersPolicyKeyDataIn(policy, "policy.json", "registry.example/ns/app");
        REQUIRE_FALSE(keys);
        CHECK(keys.error().message().find("is not a string") != std::string::npos);
    }
}
