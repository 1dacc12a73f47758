// registries.d YAML (containers-registries.d(5)): where signatures live.
#include "fuzz_input.hpp"

#include <berth/trust/lookaside.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    berth::LookasideConfig config;
    if (!berth::parseRegistriesYaml(berth::fuzz::text(data, size), "registries.d/fuzz.yaml",
                                    config))
        return 0;
    (void)berth::lookasideFor(config, "registry.example/ns/app");
    (void)berth::lookasideFor(config, "docker.io/library/busybox");
    return 0;
}
