#include <berth/appc/pod_image.hpp>
#include <berth/base/file.hpp>
#include <berth/store/store.hpp>
#include <cstdlib>
#include <doctest/doctest.h>

using namespace berth;

namespace
{

struct TestStore {
    std::string root;
    std::unique_ptr<Store> store;
    TestStore()
    {
        char tmpl[] = "/tmp/berth-appc-store-XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        root = tmpl;
        store = std::move(Store::open(root).value());
    }
    ~TestStore() { (void)removeTree(root); }

    ImageRecord add(const std::string& manifest, char idDigit, const std::string& version,
                    int64_t importedAt)
    {
        ImageRecord r;
        r.id = "sha512-" + std::string(128, idDigit);
        r.format = ImageFormat::Aci;
        r.name = parseAciImageManifest(manifest).value().name;
        r.tag = version;
        r.manifestDigest = store->putBlob(manifest, DigestAlgorithm::Sha512).value();
        r.importedAt = importedAt;
        REQUIRE(store->index().putImage(r));
        return r;
    }
};

std::string manifest(const std::string& version, const std::string& arch)
{
    return R"({"acVersion":"0.8.11","acKind":"ImageManifest","name":"example.com/web",
      "labels":[{"name":"version","value":")" +
           version + R"("},{"name":"os","value":"linux"},{"name":"arch","value":")" + arch +
           R"("}],"app":{"exec":["/web"],"user":"0","group":"0"}})";
}

} // namespace

TEST_CASE("pod images resolve from the store by id prefix, by name and version, and labels check")
{
    TestStore t;
    auto v1 = t.add(manifest("1.0", "amd64"), 'a', "1.0", 100);
    auto v2 = t.add(manifest("2.0", "aarch64"), 'b', "2.0", 200);

    AciRuntimeImage byId;
    byId.id = "sha512-aaaaaaaa";
    auto found = resolvePodImage(*t.store, byId);
    REQUIRE(found);
    CHECK(found->record.id == v1.id);
    CHECK(found->manifestJson == manifest("1.0", "amd64")); // bytes as stored
    CHECK(found->manifest.name == "example.com/web");

    AciRuntimeImage byName;
    byName.name = "example.com/web";
    byName.labels = {{"version", "1.0"}, {"arch", "amd64"}};
    found = resolvePodImage(*t.store, byName);
    REQUIRE(found);
    CHECK(found->record.id == v1.id);

    byName.labels = {{"version", "2.0"}, {"arch", "amd64"}};
    auto mismatch = resolvePodImage(*t.store, byName);
    REQUIRE_FALSE(mismatch);
    CHECK(mismatch.error().message().find("arch=aarch64") != std::string::npos);

    AciRuntimeImage newest;
    newest.name = "example.com/web";
    found = resolvePodImage(*t.store, newest);
    REQUIRE(found);
    CHECK(found->record.id == v2.id);

    CHECK_FALSE(resolvePodImage(*t.store, AciRuntimeImage{}));
    AciRuntimeImage missing;
    missing.name = "example.com/none";
    CHECK_FALSE(resolvePodImage(*t.store, missing));
}

TEST_CASE("OCI images are refused for appc pods")
{
    TestStore t;
    ImageRecord oci;
    oci.id = "sha256:" + std::string(64, 'c');
    oci.format = ImageFormat::Oci;
    auto loaded = loadPodImage(*t.store, oci);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message().find("OCI") != std::string::npos);
}

TEST_CASE("a pod image verified by a key no longer trusted is refused unless insecure")
{
    TestStore t;
    ImageRecord signedImage = t.add(manifest("1.0", "amd64"), 'd', "1.0", 100);
    signedImage.verifiedBy = "0123456789ABCDEF0123456789ABCDEF01234567";
    REQUIRE(t.store->index().putImage(signedImage));
    // Key stores with no keys at all: nothing vouches for the image now.
    PodImageTrust trust;
    trust.keyrings = KeyringPaths{t.root + "/vendor", t.root + "/system", t.root + "/user"};

    AciRuntimeImage byId;
    byId.id = signedImage.id;
    auto refused = resolvePodImage(*t.store, byId, trust);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("no longer trusted") != std::string::npos);
    CHECK(refused.error().message().find(signedImage.verifiedBy) != std::string::npos);
    AciRuntimeImage byName;
    byName.name = "example.com/web";
    CHECK_FALSE(resolvePodImage(*t.store, byName, trust));

    trust.allowUnsigned = true; // --insecure-options=image
    auto allowed = resolvePodImage(*t.store, byId, trust);
    REQUIRE(allowed);
    CHECK(allowed->record.id == signedImage.id);

    // An image stored unsigned on the user's say-so runs as `berth run` does.
    ImageRecord insecure = t.add(manifest("2.0", "amd64"), 'e', "2.0", 200);
    insecure.verifiedBy = "insecure";
    REQUIRE(t.store->index().putImage(insecure));
    AciRuntimeImage insecureId;
    insecureId.id = insecure.id;
    CHECK(resolvePodImage(*t.store, insecureId, PodImageTrust{false, trust.keyrings}));
}
