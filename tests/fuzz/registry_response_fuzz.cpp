// What a registry answers: a manifest or an index (its Content-Type on the
// first line of the input, the body after it), the JSON of a token server,
// and the JSON error body of a refused request.
#include "fuzz_input.hpp"

#include <berth/fetch/docker_reference.hpp>
#include <berth/fetch/http_client.hpp>
#include <berth/fetch/registry_client.hpp>
#include <berth/image/oci_index.hpp>
#include <berth/image/oci_manifest.hpp>
#include <berth/image/oci_media_types.hpp>
#include <berth/image/oci_platform.hpp>
#include <cstdlib>
#include <memory>

namespace
{

std::unique_ptr<berth::HttpClient> http;
std::unique_ptr<berth::RegistryClient> registry;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    // No request is sent: the client is only asked to explain error bodies.
    auto reference = berth::parseDockerReference("registry.example:5000/ns/app:1");
    if (!reference) std::abort();
    http = std::make_unique<berth::HttpClient>(berth::HttpOptions{});
    registry = std::make_unique<berth::RegistryClient>(*http, *reference, std::nullopt);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto [contentType, body] = berth::fuzz::cut(berth::fuzz::text(data, size), "\n");
    std::string type = berth::manifestMediaType(std::string(contentType), body);
    if (berth::isIndexMediaType(type)) {
        auto index = berth::parseOciIndex(body, "index");
        if (index)
            (void)berth::selectPlatformManifest(index->manifests, berth::hostPlatform(), "index");
    } else {
        (void)berth::parseOciManifest(body, "manifest");
    }
    (void)berth::parseTokenResponse(body);
    (void)registry->httpError(401, std::string(body), "ns/app:1");
    return 0;
}
