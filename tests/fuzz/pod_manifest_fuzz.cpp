// Pod manifests are given by the user (`berth run --pod-manifest FILE`) and
// written by tools berth does not control.
#include "fuzz_input.hpp"

#include <berth/appc/pod_manifest_json.hpp>
#include <berth/image/aci_manifest.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto manifest = berth::parseAciPodManifest(berth::fuzz::text(data, size));
    if (!manifest) return 0;
    // The pod's manifest is written into the pod for its apps and the
    // metadata service to read back.
    auto again = berth::parseAciPodManifest(berth::serializeAciPodManifest(*manifest));
    if (!again) __builtin_trap();
    return 0;
}
