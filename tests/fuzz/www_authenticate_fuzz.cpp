// The WWW-Authenticate header of a registry's 401 answer.
#include "fuzz_input.hpp"

#include <berth/fetch/www_authenticate.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    for (const auto& challenge : berth::parseWwwAuthenticate(berth::fuzz::text(data, size)))
        (void)challenge.param("realm");
    return 0;
}
