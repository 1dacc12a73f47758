#pragma once

#include <berth/base/result.hpp>
#include <berth/trust/keyring.hpp>
#include <berth/trust/trust_verdict.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// A trusted key as the verifier takes it: the fingerprint it is trusted
// under and the key data. The signing key's primary fingerprint must be one
// of these; a key file that holds some other key trusts nothing extra.
struct KeyMaterial {
    std::string fingerprint; // lowercase, as normalizeFingerprint gives
    std::string data;        // armored (or binary) OpenPGP public key
};

// Reads the key files, once per fingerprint.
Result<std::vector<KeyMaterial>> loadKeyMaterial(const std::vector<TrustedKey>& keys);

// Checks a detached OpenPGP signature (armored or binary) over the bytes read
// from `signedFd` (from offset 0 when the fd is seekable), using only `keys`
// in a fresh temporary GNUPGHOME under `scratchDir` (empty: TMPDIR or /tmp).
//
// Accepts only when a signature is good, made by a key (or a signing subkey
// of a key) whose primary fingerprint is among `keys`, and neither that key
// nor the subkey is expired, revoked or unusable for signing, and the
// signature has not expired. A bad signature among several rejects: it means
// the bytes are not what was signed. Otherwise the most telling rejection is
// returned (revoked, then expired, then untrusted).
Result<TrustVerdict> verifyDetached(int signedFd, std::string_view signature,
                                    const std::vector<KeyMaterial>& keys,
                                    const std::string& scratchDir = {});
Result<TrustVerdict> verifyDetached(std::string_view signedBytes, std::string_view signature,
                                    const std::vector<KeyMaterial>& keys,
                                    const std::string& scratchDir = {});

// Names the signer of a detached signature without the signed bytes: Ok
// (with the primary fingerprint) when it was made by one of `keys` that is
// neither expired nor revoked, else the rejection a full check would give
// for the key. Whether the signature matches any bytes is NOT checked; this
// only lets a fetch refuse an untrusted signer before a large download.
Result<TrustVerdict> checkDetachedSigner(std::string_view signature,
                                         const std::vector<KeyMaterial>& keys,
                                         const std::string& scratchDir = {});

// An OpenPGP signed message (what containers "simple signing" stores) and
// the payload it carries, which is empty unless the verdict is Ok: nothing
// unverified reaches a parser.
struct VerifiedMessage {
    TrustVerdict verdict;
    std::string payload;
};

// Verifies an opaque signed message under the same rules as verifyDetached.
// A payload larger than `maxPayload` (compressed messages can inflate to any
// size) is rejected as InvalidPayload.
Result<VerifiedMessage> verifySignedMessage(std::string_view message,
                                            const std::vector<KeyMaterial>& keys,
                                            size_t maxPayload = 4 << 20,
                                            const std::string& scratchDir = {});

} // namespace berth
