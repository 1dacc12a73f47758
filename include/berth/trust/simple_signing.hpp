#pragma once

#include <berth/base/result.hpp>
#include <berth/store/digest.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth
{

// The claim inside a containers "simple signing" signature
// (containers-signature(5)):
//   {"critical": {"type": "atomic container signature",
//                 "image": {"docker-manifest-digest": "sha256:…"},
//                 "identity": {"docker-reference": "host/repo:tag"}},
//    "optional": {"creator": "…", "timestamp": 1700000000}}
struct SimpleSigningClaim {
    Digest manifestDigest;
    std::string dockerReference;
    std::string creator;   // optional.creator, informational
    int64_t timestamp = 0; // optional.timestamp, informational
};

// Parses a verified payload as strictly as the reference implementation:
// "critical" and "optional" are required and nothing else may appear at the
// top; "critical", "critical.image" and "critical.identity" must hold
// exactly their known fields (an unknown critical field is a claim berth
// does not understand, so the signature is refused); duplicate keys anywhere
// are refused, so no two parsers can read different claims from one payload.
// Unknown "optional" fields are ignored.
Result<SimpleSigningClaim> parseSimpleSigningClaim(std::string_view payload);

// The payload `berth image sign` signs.
std::string makeSimpleSigningPayload(const Digest& manifestDigest,
                                     const std::string& dockerReference, const std::string& creator,
                                     int64_t timestamp);

} // namespace berth
