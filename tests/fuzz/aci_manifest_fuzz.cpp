// ACI image manifests come from the image (the "manifest" member of an .aci
// file) and are read before the signature is checked when a user runs with
// --insecure-options=image.
#include "fuzz_input.hpp"

#include <berth/image/aci_manifest.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto manifest = berth::parseAciImageManifest(berth::fuzz::text(data, size));
    if (!manifest) return 0;
    (void)berth::appSpecFromAciManifest(*manifest);
    // berth writes manifests back (image export): what it read, it must be
    // able to read again.
    auto again = berth::parseAciImageManifest(berth::serializeAciImageManifest(*manifest));
    if (!again) __builtin_trap();
    return 0;
}
