#include <berth/image/oci_platform.hpp>
#include <doctest/doctest.h>

using namespace berth;

namespace
{

OciDescriptor entry(const std::string& hexChar, std::optional<OciPlatform> platform,
                    const std::string& mediaType = "application/vnd.oci.image.manifest.v1+json")
{
    auto digest = Digest::parse("sha256:" + std::string(64, hexChar[0]));
    REQUIRE(digest);
    return OciDescriptor{mediaType, *digest, 1, {}, platform};
}

} // namespace

TEST_CASE("the host platform is in OCI spelling")
{
    OciPlatform host = hostPlatform();
    CHECK(host.os == "linux");
    CHECK(host.architecture != "x86_64");
    CHECK(host.architecture != "aarch64");
}

TEST_CASE("platform selection picks the matching manifest, variant first")
{
    std::vector<OciDescriptor> entries = {
        entry("a", OciPlatform{"linux", "amd64", ""}),
        entry("b", OciPlatform{"linux", "arm", "v6"}),
        entry("c", OciPlatform{"linux", "arm", "v7"}),
        entry("d", OciPlatform{"linux", "arm64", ""}),
        entry("e", OciPlatform{"unknown", "unknown", ""}),
    };
    auto amd64 = selectPlatformManifest(entries, {"linux", "amd64", ""}, "index");
    REQUIRE(amd64);
    CHECK(amd64->digest.hex()[0] == 'a');
    auto armv7 = selectPlatformManifest(entries, {"linux", "arm", "v7"}, "index");
    REQUIRE(armv7);
    CHECK(armv7->digest.hex()[0] == 'c');
    // arm64's implied variant is v8.
    auto arm64 = selectPlatformManifest(entries, {"linux", "arm64", "v8"}, "index");
    REQUIRE(arm64);
    CHECK(arm64->digest.hex()[0] == 'd');
    auto none = selectPlatformManifest(entries, {"linux", "s390x", ""}, "index");
    REQUIRE_FALSE(none);
    CHECK(none.error().message().find("linux/amd64") != std::string::npos);
}

TEST_CASE("a single entry without a platform is taken; attestations are skipped")
{
    std::vector<OciDescriptor> one = {entry("a", std::nullopt)};
    CHECK(selectPlatformManifest(one, hostPlatform(), "index"));
    std::vector<OciDescriptor> attest = {
        entry("a", OciPlatform{"linux", "amd64", ""}),
        entry("b", std::nullopt, "application/vnd.in-toto+json"),
    };
    auto chosen = selectPlatformManifest(attest, {"linux", "amd64", ""}, "index");
    REQUIRE(chosen);
    CHECK(chosen->digest.hex()[0] == 'a');
}

TEST_CASE("platformFor takes OS and ARCH[/VARIANT]")
{
    OciPlatform p = platformFor("linux", "arm/v7");
    CHECK(p.architecture == "arm");
    CHECK(p.variant == "v7");
    CHECK(platformString(p) == "linux/arm/v7");
}
