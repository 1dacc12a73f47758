#include "ace_validator_images.hpp"
#include "metadata_test_pod.hpp"

#include <berth/appc/pod_metadata_service.hpp>
#include <berth/appc/url_form.hpp>
#include <berth/appc/volume_option.hpp>
#include <berth/base/file.hpp>
#include <berth/pod/pod.hpp>
#include <berth/store/store.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <sys/stat.h>

using namespace berth;

namespace
{

struct TempDir {
    std::string path;
    TempDir()
    {
        char tmpl[] = "/tmp/berth-pod-key-XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        path = tmpl;
    }
    ~TempDir() { (void)removeTree(path); }
};

std::unique_ptr<PodMetadataService> service(const std::string& uuid)
{
    std::vector<PodAppSource> apps(1);
    apps[0].image = image(kMainManifest, 'a');
    auto pod = podFromImages(std::move(apps), {parseVolumeOption("database,kind=empty").value()});
    REQUIRE(pod);
    auto prepared = PodMetadataService::prepare(*pod, uuid);
    REQUIRE(prepared);
    return std::move(prepared).value();
}

MetadataRequest verifyRequest(const std::string& token, const std::string& uuid,
                              const std::string& content, const std::string& signature)
{
    MetadataRequest r;
    r.method = "POST";
    r.path = "/" + token + "/acMetadata/v1/pod/hmac/verify";
    r.target = r.path;
    r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    r.body = "content=" + urlEncodeFormValue(content) + "&uuid=" + urlEncodeFormValue(uuid) +
             "&signature=" + urlEncodeFormValue(signature);
    return r;
}

} // namespace

TEST_CASE("the saved key is mode 0600 and verifies what the service signed")
{
    TempDir dir;
    auto s = service("6f1e3a4c-8d2b-4f5e-9a7c-0b1d2e3f4a5b");
    REQUIRE(s->saveKey(dir.path));
    struct stat st;
    REQUIRE(::stat((dir.path + "/hmac-key").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(S_ISREG(st.st_mode));

    auto loaded = loadPodHmacKey(dir.path);
    REQUIRE(loaded);
    CHECK(loaded->bytes() == s->key().bytes());
    std::string signature = s->key().sign("Old MacDonald");
    CHECK(loaded->verify("Old MacDonald", signature));
    CHECK_FALSE(loaded->verify("Old MacDonald had a farm", signature));

    // Saving again (a restarted service of the same pod) replaces the key
    // whole; no temporary file is left beside it.
    auto other = service("6f1e3a4c-8d2b-4f5e-9a7c-0b1d2e3f4a5b");
    REQUIRE(other->saveKey(dir.path));
    CHECK(loadPodHmacKey(dir.path)->bytes() == other->key().bytes());
    size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path))
        ++files;
    CHECK(files == 1);
}

TEST_CASE("a key file others could read is not trusted")
{
    TempDir dir;
    auto s = service("6f1e3a4c-8d2b-4f5e-9a7c-0b1d2e3f4a5b");
    REQUIRE(s->saveKey(dir.path));
    REQUIRE(::chmod((dir.path + "/hmac-key").c_str(), 0644) == 0);
    auto loaded = loadPodHmacKey(dir.path);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message().find("0600") != std::string::npos);
    CHECK_FALSE(loadPodHmacKey(dir.path + "/nowhere"));
}

TEST_CASE("a running pod's key verifies its signatures from another pod until it is removed")
{
    TempDir dir;
    auto store = Store::open(dir.path);
    REQUIRE(store);
    PodInfo info;
    auto pod = Pod::create(**store, info);
    REQUIRE(pod);
    REQUIRE(pod->moveTo(PodState::Run));
    auto s = service(pod->uuid());
    REQUIRE(s->saveKey(pod->dir()));

    // Another pod's handler finds the key by UUID in pods/run/.
    const std::string token = "0123456789abcdef0123456789abcdef";
    auto lookup = savedPodKeys((*store)->path("pods/run"));
    MetadataHandler other(testPodMetadata(), PodHmacKey::generate().value(), token, lookup);
    std::string signature = s->key().sign("hello");
    CHECK(other.handle(verifyRequest(token, pod->uuid(), "hello", signature)).status == 200);
    CHECK(other.handle(verifyRequest(token, pod->uuid(), "hullo", signature)).status == 403);
    // A UUID is all an app may name: no path leaves pods/run/.
    CHECK_FALSE(lookup("../run/" + pod->uuid()));
    CHECK_FALSE(lookup(""));

    std::string keyPath = pod->dir() + "/hmac-key";
    CHECK(pathExists(keyPath));
    IdMap single;
    REQUIRE(pod->destroy(single));
    CHECK_FALSE(pathExists(keyPath));
    CHECK_FALSE(lookup(pod->uuid()));
    CHECK(other.handle(verifyRequest(token, pod->uuid(), "hello", signature)).status != 200);
}
