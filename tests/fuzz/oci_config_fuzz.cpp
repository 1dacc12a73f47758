// Image configs come from the image: the user, command, environment and
// working directory the app runs with are read from them.
#include "fuzz_input.hpp"

#include <berth/image/oci_config.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto config = berth::parseOciConfig(berth::fuzz::text(data, size), "config");
    if (!config) return 0;
    (void)berth::appSpecFromOciConfig(*config, "app");
    return 0;
}
