#pragma once

#include <string>
#include <string_view>

namespace berth
{

// The verify stage's answer about one image. Operational failures (gpg
// missing, unreadable files) are Errors instead; a verdict is a decision.
struct TrustVerdict {
    enum class Status {
        Ok,
        Unsigned,          // no signature to check
        BadSignature,      // the signature does not match the signed bytes, or is no signature
        UntrustedKey,      // signed by a key not trusted for this name
        WrongPrefix,       // signed by a key trusted only for other prefixes
        KeyExpired,        // the signing key (or subkey) has expired
        KeyRevoked,        // the signing key (or subkey) has been revoked
        SignatureExpired,  // the signature itself carries an expiry that has passed
        InvalidPayload,    // a simple-signing payload that is malformed or has unknown fields
        DigestMismatch,    // the payload names another manifest
        ReferenceMismatch, // the payload names another image
    };

    Status status = Status::Unsigned;
    // The signing key's primary fingerprint (lowercase) when known; else what
    // the signature names (a subkey fingerprint or key id).
    std::string fingerprint;
    // Specifics for the message: the prefixes the key is trusted for, the
    // digests or references that differ, gpg's description.
    std::string detail;

    bool ok() const { return status == Status::Ok; }

    static TrustVerdict accept(std::string fingerprint)
    {
        return {Status::Ok, std::move(fingerprint), {}};
    }
    static TrustVerdict reject(Status status, std::string fingerprint, std::string detail)
    {
        return {status, std::move(fingerprint), std::move(detail)};
    }
};

// "ok", "unsigned", "bad-signature", …: a stable word for JSON and logs.
const char* trustStatusName(TrustVerdict::Status status);

// The one line a user sees for a rejected image, naming the image, the key or
// prefix, and the remedy. `imageName` is the name keys are looked up by.
std::string describeVerdict(const TrustVerdict& verdict, std::string_view imageName);

} // namespace berth
