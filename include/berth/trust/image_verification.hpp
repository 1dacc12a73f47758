#pragma once

#include <berth/base/result.hpp>
#include <berth/store/digest.hpp>
#include <berth/trust/containers_policy.hpp>
#include <berth/trust/keyring.hpp>
#include <berth/trust/stored_image_trust.hpp>
#include <berth/trust/trust_verdict.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// What the verify stage needs besides the bytes: where trusted keys live and
// where it may create the temporary GNUPGHOME (the one place the verify
// stage writes; its Landlock ruleset must allow it). The functions below
// read only these and their arguments, touch no network and no store, so a
// stage process can run them and send the verdict back to stage0.
struct TrustOptions {
    KeyringPaths keyrings = KeyringPaths::defaults();
    std::string scratchDir; // empty: $TMPDIR, else /tmp
    // OCI only: signedBy keys of this containers policy.json add trust for
    // their scope (see containersPolicyKeys). Empty: none read.
    std::string containersPolicy = defaultContainersPolicyFile();
};

// appc: checks the detached signature (`.aci.asc`) over the ACI's bytes as
// fetched (compressed or not; read from offset 0 of `aciFd`) with the keys
// trusted for `imageName` (the ACI manifest's name, e.g. "example.com/app")
// and its parent prefixes, and the root keys. A missing signature file is an
// Unsigned verdict, not an error. A signature by a key trusted only for
// other prefixes is WrongPrefix, naming them.
Result<TrustVerdict> verifyAciSignature(const std::string& imageName, int aciFd,
                                        const std::string& signaturePath,
                                        const TrustOptions& options);
// The same with the signature already in memory (fetched beside a URL).
Result<TrustVerdict> verifyAciSignatureData(const std::string& imageName, int aciFd,
                                            std::string_view signature,
                                            const TrustOptions& options);

// appc, before a download: is the signer of `signature` trusted for
// `imageName` (Ok), or would the full check refuse it anyway (untrusted,
// wrong prefix, expired, revoked)? Lets a fetch that can get the .aci.asc
// first refuse an untrusted signer before the large download. An Ok here is
// no verification: verifyAciSignature must still run over the bytes.
Result<TrustVerdict> precheckAciSigner(const std::string& imageName, std::string_view signature,
                                       const TrustOptions& options);

// OCI: checks containers "simple signing" signatures (each an OpenPGP signed
// message, as stored in lookaside "signature-N" files) for the image pulled
// as `reference` ("host/repo:tag" or "host/repo@sha256:…"; "docker://" is
// allowed) whose manifest has `manifestDigest`. Keys trusted for the
// repository ("host/repo") and its parents apply, and the root keys. One
// signature that verifies, whose payload parses strictly, names this
// manifest digest and matches the reference (matchRepoDigestOrExact) is
// enough; with none, the most telling rejection is returned. No signatures:
// Unsigned.
Result<TrustVerdict> verifyOciSimpleSigning(const std::string& reference,
                                            const Digest& manifestDigest,
                                            const std::vector<std::string>& signatures,
                                            const TrustOptions& options);

// The name trusted keys are looked up by for a docker reference:
// "docker://host/repo:tag" -> "host/repo".
Result<std::string> trustNameForDockerReference(const std::string& reference);

// checkStillTrusted, the check at every run, is in stored_image_trust.hpp.

} // namespace berth
