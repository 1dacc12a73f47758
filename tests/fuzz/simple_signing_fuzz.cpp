// The payload of a simple-signing signature: checked only after gpgme says
// the signature is good, but a key holder is not trusted to write it well.
#include "fuzz_input.hpp"

#include <berth/trust/simple_signing.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto claim = berth::parseSimpleSigningClaim(berth::fuzz::text(data, size));
    if (!claim) return 0;
    // `berth image sign` writes what this reads.
    auto again = berth::parseSimpleSigningClaim(berth::makeSimpleSigningPayload(
        claim->manifestDigest, claim->dockerReference, claim->creator, claim->timestamp));
    if (!again || again->manifestDigest.str() != claim->manifestDigest.str() ||
        again->dockerReference != claim->dockerReference)
        __builtin_trap();
    return 0;
}
