// Indexes come from registries, oci: layouts and oci-archive: files.
#include "fuzz_input.hpp"

#include <berth/image/oci_index.hpp>
#include <berth/image/oci_platform.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto index = berth::parseOciIndex(berth::fuzz::text(data, size), "index");
    if (!index) return 0;
    for (const auto& platform : {berth::hostPlatform(), berth::platformFor("linux", "arm")})
        (void)berth::selectPlatformManifest(index->manifests, platform, "index");
    return 0;
}
