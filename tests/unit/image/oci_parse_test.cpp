#include <berth/image/oci_config.hpp>
#include <berth/image/oci_index.hpp>
#include <berth/image/oci_manifest.hpp>
#include <doctest/doctest.h>
#include <string>

using namespace berth;

namespace
{

const std::string kHex = std::string(64, 'a');
const std::string kHex2 = std::string(64, 'b');

std::string descriptor(const std::string& mediaType, const std::string& digest, int64_t size)
{
    return R"({"mediaType":")" + mediaType + R"(","digest":")" + digest + R"(","size":)" +
           std::to_string(size) + "}";
}

std::string manifest(const std::string& mediaType, const std::string& configType,
                     const std::string& layerType)
{
    return R"({"schemaVersion":2,"mediaType":")" + mediaType + R"(","config":)" +
           descriptor(configType, "sha256:" + kHex, 10) + R"(,"layers":[)" +
           descriptor(layerType, "sha256:" + kHex2, 20) + "]}";
}

bool mentions(const Error& error, const std::string& text)
{
    return error.message().find(text) != std::string::npos;
}

} // namespace

TEST_CASE("an OCI manifest parses into validated descriptors")
{
    auto m = parseOciManifest(manifest("application/vnd.oci.image.manifest.v1+json",
                                       "application/vnd.oci.image.config.v1+json",
                                       "application/vnd.oci.image.layer.v1.tar+gzip"),
                              "manifest");
    REQUIRE(m);
    CHECK(m->config.digest.hex() == kHex);
    CHECK(m->config.size == 10);
    REQUIRE(m->layers.size() == 1);
    CHECK(m->layers[0].digest.str() == "sha256:" + kHex2);
    CHECK(m->layers[0].mediaType == "application/vnd.oci.image.layer.v1.tar+gzip");
}

TEST_CASE("Docker schema2 manifests are accepted as OCI equivalents")
{
    auto m = parseOciManifest(manifest("application/vnd.docker.distribution.manifest.v2+json",
                                       "application/vnd.docker.container.image.v1+json",
                                       "application/vnd.docker.image.rootfs.diff.tar.gzip"),
                              "manifest");
    REQUIRE(m);
    CHECK(m->layers.size() == 1);

    auto list = parseOciIndex(
        R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[)" +
            descriptor("application/vnd.docker.distribution.manifest.v2+json", "sha256:" + kHex,
                       5) +
            "]}",
        "list");
    REQUIRE(list);
    CHECK(list->manifests.size() == 1);
}

TEST_CASE("untrusted manifests are refused with a reason")
{
    const std::string ociManifest = "application/vnd.oci.image.manifest.v1+json";
    const std::string ociConfig = "application/vnd.oci.image.config.v1+json";
    const std::string ociLayer = "application/vnd.oci.image.layer.v1.tar";
    std::string good = manifest(ociManifest, ociConfig, ociLayer);

    SUBCASE("truncated JSON")
    {
        auto m = parseOciManifest(good.substr(0, good.size() / 2), "manifest");
        REQUIRE_FALSE(m);
        CHECK(mentions(m.error(), "malformed JSON"));
    }
    SUBCASE("not alg:hex digests are never accepted")
    {
        for (std::string bad : std::vector<std::string>{"sha256:../../etc/passwd", "sha256:ABC",
                                                        "md5:" + kHex, "sha256:" + kHex.substr(1),
                                                        "/etc/passwd", "sha256:" + kHex + "/"}) {
            std::string text = good;
            text.replace(text.find("sha256:" + kHex2), 7 + 64, bad);
            auto m = parseOciManifest(text, "manifest");
            REQUIRE_FALSE(m);
            CHECK(mentions(m.error(), "invalid digest"));
        }
    }
    SUBCASE("negative size")
    {
        std::string text = good;
        text.replace(text.find("\"size\":20"), 9, "\"size\":-1");
        auto m = parseOciManifest(text, "manifest");
        REQUIRE_FALSE(m);
        CHECK(mentions(m.error(), "negative size"));
    }
    SUBCASE("wrong types")
    {
        std::string text = good;
        text.replace(text.find("\"size\":20"), 9, "\"size\":\"20\"");
        CHECK_FALSE(parseOciManifest(text, "manifest"));
        CHECK_FALSE(parseOciManifest(R"({"schemaVersion":2,"config":[],"layers":[]})", "m"));
        CHECK_FALSE(parseOciManifest(R"({"schemaVersion":"2"})", "m"));
        CHECK_FALSE(parseOciManifest("[]", "m"));
        std::string layersNotArray = good;
        layersNotArray.replace(layersNotArray.find("\"layers\":["), 10, "\"layers\":{\"a\":");
        layersNotArray.back() = '}';
        CHECK_FALSE(parseOciManifest(layersNotArray, "m"));
    }
    SUBCASE("unsupported media types")
    {
        auto m = parseOciManifest(manifest(ociManifest, ociConfig, "application/x-evil"), "m");
        REQUIRE_FALSE(m);
        CHECK(mentions(m.error(), "unsupported layer media type"));
        CHECK_FALSE(parseOciManifest(manifest(ociManifest, "text/plain", ociLayer), "m"));
        CHECK_FALSE(parseOciManifest(manifest("application/json", ociConfig, ociLayer), "m"));
    }
    SUBCASE("an index where a manifest was expected")
    {
        auto m = parseOciManifest(
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})",
            "m");
        REQUIRE_FALSE(m);
        CHECK(mentions(m.error(), "index"));
    }
    SUBCASE("schema version 1")
    {
        CHECK_FALSE(parseOciManifest(R"({"schemaVersion":1,"fsLayers":[]})", "m"));
    }
}

TEST_CASE("an index parses annotations and platforms")
{
    std::string text =
        R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
        kHex +
        R"(","size":7,"platform":{"os":"linux","architecture":"arm64","variant":"v8"},"annotations":{"org.opencontainers.image.ref.name":"1.0"}}]})";
    auto index = parseOciIndex(text, "index.json");
    REQUIRE(index);
    REQUIRE(index->manifests.size() == 1);
    CHECK(index->manifests[0].refName() == "1.0");
    REQUIRE(index->manifests[0].platform);
    CHECK(index->manifests[0].platform->architecture == "arm64");
    CHECK(index->manifests[0].platform->variant == "v8");

    CHECK_FALSE(parseOciIndex(R"({"schemaVersion":2})", "i"));
    CHECK_FALSE(parseOciIndex(R"({"schemaVersion":2,"manifests":[{"digest":"sha256:x"}]})", "i"));
    CHECK_FALSE(parseOciIndex(R"({"schemaVersion":2,"manifests":[],"annotations":{"a":1}})", "i"));
}

TEST_CASE("an image config becomes an AppSpec")
{
    std::string text = R"({
        "architecture": "amd64", "os": "linux",
        "config": {
            "User": "www-data:33",
            "Env": ["PATH=/usr/bin:/bin", "EMPTY=", "A=b=c"],
            "Entrypoint": ["/bin/httpd"],
            "Cmd": ["-f", "-p", "8080"],
            "WorkingDir": "/srv",
            "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
            "Volumes": {"/data": {}},
            "Labels": {"org.example": "yes"},
            "StopSignal": "SIGTERM"
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:)" +
                       kHex + R"("]}
    })";
    auto config = parseOciConfig(text, "config");
    REQUIRE(config);
    CHECK(config->diffIds.size() == 1);
    auto app = appSpecFromOciConfig(*config, "httpd");
    REQUIRE(app);
    CHECK(app->name == "httpd");
    CHECK(app->entrypoint == std::vector<std::string>{"/bin/httpd"});
    CHECK(app->cmd == std::vector<std::string>{"-f", "-p", "8080"});
    REQUIRE(app->env.size() == 3);
    CHECK(app->env[0] == std::pair<std::string, std::string>{"PATH", "/usr/bin:/bin"});
    CHECK(app->env[2] == std::pair<std::string, std::string>{"A", "b=c"});
    CHECK(app->user == "www-data");
    CHECK(app->group == "33");
    CHECK(app->workingDirectory == "/srv");
    REQUIRE(app->ports.size() == 2);
    bool udp53 = false;
    for (const auto& p : app->ports)
        udp53 = udp53 || (p.port == 53 && p.protocol == "udp");
    CHECK(udp53);
    REQUIRE(app->mountPoints.size() == 1);
    CHECK(app->mountPoints[0].path == "/data");
    CHECK(app->labels.at("org.example") == "yes");
    CHECK(app->stopSignal == "SIGTERM");
}

TEST_CASE("Docker configs with null fields parse; bad configs are refused")
{
    std::string docker =
        R"({"architecture":"amd64","os":"linux","config":{"Entrypoint":null,"Cmd":["sh"],"Env":null,"Volumes":null,"Labels":null},"container_config":{},"rootfs":{"type":"layers","diff_ids":[]}})";
    auto config = parseOciConfig(docker, "config");
    REQUIRE(config);
    CHECK(config->config.cmd == std::vector<std::string>{"sh"});

    CHECK_FALSE(parseOciConfig(R"({"architecture":"amd64","os":"linux"})", "c"));
    CHECK_FALSE(parseOciConfig(
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:nothex"]}})",
        "c"));
    CHECK_FALSE(parseOciConfig(
        R"({"architecture":"amd64","os":"linux","config":{"Cmd":"sh"},"rootfs":{"type":"layers","diff_ids":[]}})",
        "c"));
    CHECK_FALSE(parseOciConfig(
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[])", "c"));
    auto badPort = parseOciConfig(
        R"({"architecture":"amd64","os":"linux","config":{"ExposedPorts":{"99999/tcp":{}}},"rootfs":{"type":"layers","diff_ids":[]}})",
        "c");
    REQUIRE(badPort);
    CHECK_FALSE(appSpecFromOciConfig(*badPort, "x"));
}
