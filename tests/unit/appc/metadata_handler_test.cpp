#include "metadata_test_pod.hpp"

#include <berth/appc/metadata_handler.hpp>
#include <berth/appc/url_form.hpp>
#include <berth/base/json.hpp>
#include <doctest/doctest.h>

using namespace berth;

namespace
{

const std::string kToken = "0123456789abcdef0123456789abcdef";

MetadataHandler makeHandler(HmacKeyLookup lookup = {})
{
    return MetadataHandler(testPodMetadata(), PodHmacKey::generate().value(), kToken,
                           std::move(lookup));
}

MetadataRequest get(std::string path, std::string method = "GET")
{
    MetadataRequest r;
    r.method = std::move(method);
    r.path = "/" + kToken + "/acMetadata/v1" + path;
    r.target = r.path;
    return r;
}

MetadataRequest postForm(std::string path, std::vector<std::pair<std::string, std::string>> fields)
{
    MetadataRequest r = get(std::move(path), "POST");
    r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    for (const auto& [k, v] : fields) {
        if (!r.body.empty()) r.body += '&';
        r.body += urlEncodeFormValue(k) + "=" + urlEncodeFormValue(v);
    }
    return r;
}

const char* kAscii = "text/plain; charset=us-ascii";

} // namespace

TEST_CASE("pod endpoints answer with the spec's content types")
{
    auto handler = makeHandler();
    auto uuid = handler.handle(get("/pod/uuid"));
    CHECK(uuid.status == 200);
    CHECK(uuid.contentType == kAscii);
    CHECK(uuid.body == testPodMetadata().uuid);

    auto manifest = handler.handle(get("/pod/manifest"));
    CHECK(manifest.status == 200);
    CHECK(manifest.contentType == "application/json");
    CHECK(manifest.body == testPodMetadata().podManifestJson);

    auto annotations = handler.handle(get("/pod/annotations"));
    CHECK(annotations.contentType == "application/json");
    auto json = parseJson(annotations.body, "annotations").value();
    REQUIRE(json.size() == 2);
    CHECK(json[0]["name"] == "ip-address");
    CHECK(json[0]["value"] == "10.1.2.3");
    CHECK(json[1]["name"] == "example.com/owner");

    CHECK(handler.handle(get("/pod/annotations/ip-address")).body == "10.1.2.3");
    CHECK(handler.handle(get("/pod/annotations/example.com/owner")).body == "ops");
    CHECK(handler.handle(get("/pod/annotations/example.com%2Fowner")).body == "ops");
    CHECK(handler.handle(get("/pod/annotations/nope")).status == 404);
}

TEST_CASE("app endpoints answer per app, and unknown apps are 404")
{
    auto handler = makeHandler();
    auto id = handler.handle(get("/apps/sidekick/image/id"));
    CHECK(id.status == 200);
    CHECK(id.contentType == kAscii);
    CHECK(id.body == "sha512-" + std::string(128, 'b'));
    auto manifest = handler.handle(get("/apps/main/image/manifest"));
    CHECK(manifest.contentType == "application/json");
    CHECK(manifest.body == testPodMetadata().apps[0].imageManifestJson);
    auto annotations = parseJson(handler.handle(get("/apps/main/annotations")).body, "a").value();
    CHECK(annotations.size() == 2);
    CHECK(annotations[1]["value"] == "ipsum");
    CHECK(handler.handle(get("/apps/sidekick/annotations")).body == "[]");
    CHECK(handler.handle(get("/apps/main/annotations/lorem")).body == "ipsum");
    CHECK(handler.handle(get("/apps/main/annotations/none")).status == 404);
    CHECK(handler.handle(get("/apps/ghost/image/id")).status == 404);
    CHECK(handler.handle(get("/apps/main")).status == 404);
    CHECK(handler.handle(get("/apps/main/image/other")).status == 404);
}

TEST_CASE("without the right token nothing is told")
{
    auto handler = makeHandler();
    MetadataRequest r = get("/pod/uuid");
    r.path = "/acMetadata/v1/pod/uuid";
    CHECK(handler.handle(r).status == 401);
    r.path = "/" + kToken.substr(1) + "x/acMetadata/v1/pod/uuid";
    CHECK(handler.handle(r).status == 401);
    r.path = "/" + kToken;
    CHECK(handler.handle(r).status == 404);
    r.path = "/" + kToken + "/acMetadata/v2/pod/uuid";
    CHECK(handler.handle(r).status == 404);
    r.path = "/" + kToken + "/acMetadata/v1/pod/%zz";
    CHECK(handler.handle(r).status == 400);
}

TEST_CASE("methods are checked")
{
    auto handler = makeHandler();
    CHECK(handler.handle(get("/pod/uuid", "POST")).status == 405);
    CHECK(handler.handle(get("/pod/uuid", "HEAD")).status == 200);
    CHECK(handler.handle(get("/apps/main/image/id", "DELETE")).status == 405);
    auto signGet = handler.handle(get("/pod/hmac/sign"));
    CHECK(signGet.status == 405);
    REQUIRE(signGet.headers.size() == 1);
    CHECK(signGet.headers[0].second == "POST");
}

TEST_CASE("sign then verify round-trips; tampering gives 403")
{
    auto handler = makeHandler();
    const std::string uuid = testPodMetadata().uuid;
    auto signed_ = handler.handle(postForm("/pod/hmac/sign", {{"content", "Old MacDonald"}}));
    REQUIRE(signed_.status == 200);
    CHECK(signed_.contentType == kAscii);
    const std::string signature = signed_.body;
    CHECK(handler.key().verify("Old MacDonald", signature));

    auto ok = handler.handle(
        postForm("/pod/hmac/verify",
                 {{"content", "Old MacDonald"}, {"uuid", uuid}, {"signature", signature}}));
    CHECK(ok.status == 200);
    CHECK(ok.contentType == kAscii);

    std::string tampered = signature;
    tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
    CHECK(handler
              .handle(
                  postForm("/pod/hmac/verify",
                           {{"content", "Old MacDonald"}, {"uuid", uuid}, {"signature", tampered}}))
              .status == 403);
    CHECK(handler
              .handle(postForm(
                  "/pod/hmac/verify",
                  {{"content", "Old MacDonalds"}, {"uuid", uuid}, {"signature", signature}}))
              .status == 403);
    // A pod this service does not know: 403, not 404.
    CHECK(
        handler
            .handle(postForm("/pod/hmac/verify", {{"content", "Old MacDonald"},
                                                  {"uuid", "00000000-0000-0000-0000-000000000000"},
                                                  {"signature", signature}}))
            .status == 403);
    CHECK(handler.handle(postForm("/pod/hmac/verify", {{"content", "x"}, {"uuid", uuid}})).status ==
          400);
    CHECK(handler.handle(postForm("/pod/hmac/sign", {})).status == 400);
    auto wrongType = postForm("/pod/hmac/sign", {{"content", "x"}});
    wrongType.headers[0].second = "application/json";
    CHECK(handler.handle(wrongType).status == 400);
    auto twice = postForm("/pod/hmac/sign", {{"content", "x"}});
    twice.body += "&content=y";
    CHECK(handler.handle(twice).status == 400);
}

TEST_CASE("signatures of another pod verify through the key lookup")
{
    auto otherKey = PodHmacKey::generate().value();
    const std::string otherUuid = "11111111-2222-4333-8444-555555555555";
    auto handler = makeHandler([&](const std::string& uuid) -> std::optional<PodHmacKey> {
        if (uuid == otherUuid) return otherKey;
        return std::nullopt;
    });
    auto signature = otherKey.sign("hello");
    CHECK(
        handler
            .handle(postForm("/pod/hmac/verify",
                             {{"content", "hello"}, {"uuid", otherUuid}, {"signature", signature}}))
            .status == 200);
    // Our own key does not vouch for the other pod's UUID.
    CHECK(handler
              .handle(postForm("/pod/hmac/verify", {{"content", "hello"},
                                                    {"uuid", otherUuid},
                                                    {"signature", handler.key().sign("hello")}}))
              .status == 403);
}

TEST_CASE("the metadata URL carries the token and no trailing slash")
{
    auto token = newMetadataToken();
    CHECK(token.size() == 48);
    CHECK(token != newMetadataToken());
    CHECK(metadataUrl("127.0.0.1", kMetadataPort, "abc") == "http://127.0.0.1:18112/abc");
}
