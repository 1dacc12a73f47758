// The signature an app sends to the metadata service's /pod/hmac/verify,
// and the "auth" field of auth.json: base64 from outside. A text is either
// refused or is the one canonical encoding of what it decodes to, and every
// byte string comes back from its own encoding.
#include "fuzz_input.hpp"

#include <berth/base/base64.hpp>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view input = berth::fuzz::text(data, size);
    if (auto decoded = berth::decodeBase64(input);
        decoded && berth::encodeBase64(*decoded) != input)
        std::abort();
    auto back = berth::decodeBase64(berth::encodeBase64(input));
    if (!back || *back != input) std::abort();
    return 0;
}
