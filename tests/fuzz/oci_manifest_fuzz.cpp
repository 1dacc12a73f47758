// Manifests come from registries, oci: layouts and archives.
#include "fuzz_input.hpp"

#include <berth/image/oci_manifest.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto manifest = berth::parseOciManifest(berth::fuzz::text(data, size), "manifest");
    if (!manifest) return 0;
    // Images berth assembles are written with serializeOciManifest and read
    // back by the same parser.
    auto again = berth::parseOciManifest(berth::serializeOciManifest(*manifest), "manifest");
    if (!again) __builtin_trap();
    return 0;
}
