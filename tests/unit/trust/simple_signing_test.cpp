#include <berth/trust/signed_identity.hpp>
#include <berth/trust/simple_signing.hpp>
#include <doctest/doctest.h>

using namespace berth;

namespace
{

const std::string kDigest = "sha256:" + std::string(64, 'a');

std::string claim(const std::string& critical, const std::string& optional = "{}")
{
    return R"({"critical":)" + critical + R"(,"optional":)" + optional + "}";
}

std::string critical(const std::string& extraCritical = "", const std::string& extraImage = "",
                     const std::string& extraIdentity = "")
{
    return R"({"type":"atomic container signature","image":{"docker-manifest-digest":")" + kDigest +
           "\"" + extraImage + R"(},"identity":{"docker-reference":"example.com/app:1")" +
           extraIdentity + "}" + extraCritical + "}";
}

} // namespace

TEST_CASE("a well-formed claim gives digest, reference, creator and timestamp")
{
    auto parsed = parseSimpleSigningClaim(
        claim(critical(), R"({"creator":"skopeo 1.9","timestamp":1700000000,"x":1})"));
    if (!parsed) FAIL(parsed.error().message());
    CHECK(parsed->manifestDigest.str() == kDigest);
    CHECK(parsed->dockerReference == "example.com/app:1");
    CHECK(parsed->creator == "skopeo 1.9");
    CHECK(parsed->timestamp == 1700000000);
}

TEST_CASE("what berth signs parses back")
{
    auto digest = Digest::parse(kDigest);
    REQUIRE(digest);
    auto parsed = parseSimpleSigningClaim(
        makeSimpleSigningPayload(*digest, "127.0.0.1:5000/app:v1", "berth 0.1", 42));
    REQUIRE(parsed);
    CHECK(parsed->manifestDigest == *digest);
    CHECK(parsed->dockerReference == "127.0.0.1:5000/app:v1");
    CHECK(parsed->timestamp == 42);
}

TEST_CASE("unknown critical fields, at any level, are refused")
{
    CHECK_FALSE(parseSimpleSigningClaim(claim(critical(R"(,"expires":1)"))));
    CHECK_FALSE(parseSimpleSigningClaim(claim(critical("", R"(,"size":1)"))));
    CHECK_FALSE(parseSimpleSigningClaim(claim(critical("", "", R"(,"scope":"x")"))));
    // And unknown top-level fields (the reference implementation's rule).
    CHECK_FALSE(
        parseSimpleSigningClaim(R"({"critical":)" + critical() + R"(,"optional":{},"extra":{}})"));
}

TEST_CASE("malformed claims are refused")
{
    CHECK_FALSE(parseSimpleSigningClaim("not json"));
    CHECK_FALSE(parseSimpleSigningClaim("[]"));
    CHECK_FALSE(parseSimpleSigningClaim(R"({"critical":)" + critical() + "}")); // no optional
    CHECK_FALSE(parseSimpleSigningClaim(claim(critical(), "[]")));
    CHECK_FALSE(parseSimpleSigningClaim(
        claim(R"({"type":"something else","image":{"docker-manifest-digest":")" + kDigest +
              R"("},"identity":{"docker-reference":"a.b/c"}})")));
    CHECK_FALSE(parseSimpleSigningClaim(claim(
        R"({"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:xyz"},"identity":{"docker-reference":"a.b/c"}})")));
    CHECK_FALSE(parseSimpleSigningClaim(claim(
        R"({"type":"atomic container signature","image":{},"identity":{"docker-reference":"a.b/c"}})")));
    CHECK_FALSE(parseSimpleSigningClaim(claim(critical(), R"({"timestamp":"yesterday"})")));
}

TEST_CASE("duplicate keys are refused, so no reader sees a different claim")
{
    std::string other = "sha256:" + std::string(64, 'b');
    std::string twice =
        R"({"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":")" +
        kDigest + R"(","docker-manifest-digest":")" + other +
        R"("},"identity":{"docker-reference":"a.b/c"}},"optional":{}})";
    CHECK_FALSE(parseSimpleSigningClaim(twice));
}

TEST_CASE("docker references are compared in their fully qualified form")
{
    auto busybox = parseSignedIdentity("busybox");
    REQUIRE(busybox);
    CHECK(busybox->str() == "docker.io/library/busybox:latest");
    CHECK(parseSignedIdentity("docker://docker.io/busybox:1.36")->str() ==
          "docker.io/library/busybox:1.36");
    CHECK(parseSignedIdentity("index.docker.io/team/app")->str() == "docker.io/team/app:latest");
    CHECK(parseSignedIdentity("LOCALHOST:5000/app:v1")->str() == "localhost:5000/app:v1");
    CHECK(parseSignedIdentity("127.0.0.1:5000/a/b@" + kDigest)->str() ==
          "127.0.0.1:5000/a/b@" + kDigest);
    CHECK(parseSignedIdentity("127.0.0.1:5000/a/b")->repository == "127.0.0.1:5000/a/b");
    CHECK_FALSE(parseSignedIdentity("example.com/App"));
    CHECK_FALSE(parseSignedIdentity("example.com/app:"));
    CHECK_FALSE(parseSignedIdentity("example.com/app@sha256:XYZ"));
    CHECK_FALSE(parseSignedIdentity(""));
}

TEST_CASE("by tag the signature must name exactly that tag; by digest, the repository")
{
    auto id = [](const char* text) { return *parseSignedIdentity(text); };
    CHECK(signedIdentityMatches(id("example.com/app:1"), id("example.com/app:1")));
    CHECK_FALSE(signedIdentityMatches(id("example.com/app:1"), id("example.com/app:2")));
    CHECK_FALSE(signedIdentityMatches(id("example.com/other:1"), id("example.com/app:1")));
    CHECK(signedIdentityMatches(id("docker.io/library/busybox:latest"), id("busybox")));
    std::string byDigest = "example.com/app@" + kDigest;
    CHECK(signedIdentityMatches(id("example.com/app:1"), id(byDigest.c_str())));
    CHECK_FALSE(signedIdentityMatches(id("example.com/other:1"), id(byDigest.c_str())));
    CHECK_FALSE(signedIdentityMatches(id(byDigest.c_str()), id("example.com/app:1")));
}
