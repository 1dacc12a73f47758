#include <berth/base/file.hpp>
#include <berth/trust/fingerprint.hpp>
#include <berth/trust/image_verification.hpp>
#include <berth/trust/signed_identity.hpp>
#include <berth/trust/simple_signing.hpp>
#include <berth/trust/verifier.hpp>
#include <cerrno>
#include <fcntl.h>
#include <functional>
#include <set>

namespace berth
{

namespace
{

using Status = TrustVerdict::Status;

constexpr size_t kMaxSignatureBytes = 1 << 20;

using Attempt = std::function<Result<TrustVerdict>(const std::vector<KeyMaterial>&)>;

// Runs the check with the keys that apply; when that finds the signer
// untrusted, runs it again with every key in the keyring, so that a key
// trusted for another prefix is reported as such instead of as unknown.
Result<TrustVerdict> verifyWithKeyring(const Keyring& keyring, const std::string& name,
                                       const Attempt& attempt)
{
    BERTH_TRY(auto applicable, keyring.keysFor(name));
    BERTH_TRY(auto material, loadKeyMaterial(applicable));
    BERTH_TRY(TrustVerdict verdict, attempt(material));
    if (verdict.status != Status::UntrustedKey) return verdict;

    BERTH_TRY(auto all, keyring.list());
    std::set<std::string> applicableFprs;
    for (const auto& key : applicable)
        applicableFprs.insert(key.fingerprint);
    std::vector<TrustedKey> others;
    for (const auto& key : all)
        if (!applicableFprs.count(key.fingerprint)) others.push_back(key);
    if (others.empty()) return verdict;
    BERTH_TRY(auto otherMaterial, loadKeyMaterial(others));
    BERTH_TRY(TrustVerdict elsewhere, attempt(otherMaterial));
    if (!elsewhere.ok()) return verdict;
    std::string prefixes;
    for (const auto& key : others)
        if (key.fingerprint == elsewhere.fingerprint)
            prefixes += (prefixes.empty() ? "prefix '" : ", prefix '") + key.prefix + "'";
    return TrustVerdict::reject(Status::WrongPrefix, elsewhere.fingerprint, prefixes);
}

int rank(Status status)
{
    switch (status) {
    case Status::KeyRevoked:
        return 9;
    case Status::DigestMismatch:
        return 8;
    case Status::ReferenceMismatch:
        return 7;
    case Status::InvalidPayload:
        return 6;
    case Status::BadSignature:
        return 5;
    case Status::KeyExpired:
        return 4;
    case Status::SignatureExpired:
        return 3;
    case Status::WrongPrefix:
        return 2;
    default:
        return 1;
    }
}

// One simple-signing signature, start to end.
Result<TrustVerdict> checkSimpleSignature(const std::string& signature,
                                          const std::vector<KeyMaterial>& keys,
                                          const SignedIdentity& image, const Digest& manifestDigest,
                                          const std::string& scratchDir)
{
    BERTH_TRY(VerifiedMessage message, verifySignedMessage(signature, keys, 4 << 20, scratchDir));
    if (!message.verdict.ok()) return message.verdict;
    const std::string& fpr = message.verdict.fingerprint;
    // Only now, with the signer trusted, is the payload parsed at all.
    auto claim = parseSimpleSigningClaim(message.payload);
    if (!claim) return TrustVerdict::reject(Status::InvalidPayload, fpr, claim.error().message());
    if (!(claim->manifestDigest == manifestDigest))
        return TrustVerdict::reject(Status::DigestMismatch, fpr,
                                    "signed " + claim->manifestDigest.str() + ", fetched " +
                                        manifestDigest.str());
    auto signedIdentity = parseSignedIdentity(claim->dockerReference);
    if (!signedIdentity)
        return TrustVerdict::reject(Status::InvalidPayload, fpr, signedIdentity.error().message());
    if (!signedIdentityMatches(*signedIdentity, image))
        return TrustVerdict::reject(Status::ReferenceMismatch, fpr,
                                    "signed for '" + signedIdentity->str() + "'");
    return message.verdict;
}

} // namespace

Result<TrustVerdict> verifyAciSignatureData(const std::string& imageName, int aciFd,
                                            std::string_view signature, const TrustOptions& options)
{
    Keyring keyring(options.keyrings);
    return verifyWithKeyring(keyring, imageName, [&](const std::vector<KeyMaterial>& keys) {
        return verifyDetached(aciFd, signature, keys, options.scratchDir);
    });
}

Result<TrustVerdict> verifyAciSignature(const std::string& imageName, int aciFd,
                                        const std::string& signaturePath,
                                        const TrustOptions& options)
{
    auto signature = readFile(signaturePath, kMaxSignatureBytes);
    if (!signature) {
        if (signature.error().errnum() == ENOENT)
            return TrustVerdict::reject(Status::Unsigned, "", "no " + signaturePath);
        return std::move(signature).error().addContext("read signature");
    }
    return verifyAciSignatureData(imageName, aciFd, *signature, options);
}

Result<TrustVerdict> precheckAciSigner(const std::string& imageName, std::string_view signature,
                                       const TrustOptions& options)
{
    Keyring keyring(options.keyrings);
    return verifyWithKeyring(keyring, imageName, [&](const std::vector<KeyMaterial>& keys) {
        return checkDetachedSigner(signature, keys, options.scratchDir);
    });
}

Result<std::string> trustNameForDockerReference(const std::string& reference)
{
    BERTH_TRY(SignedIdentity identity, parseSignedIdentity(reference));
    return identity.repository;
}

Result<TrustVerdict> verifyOciSimpleSigning(const std::string& reference,
                                            const Digest& manifestDigest,
                                            const std::vector<std::string>& signatures,
                                            const TrustOptions& options)
{
    BERTH_TRY(SignedIdentity image, parseSignedIdentity(reference));
    if (signatures.empty()) return TrustVerdict::reject(Status::Unsigned, "", "");
    std::vector<KeyMaterial> policyKeys;
    if (!options.containersPolicy.empty()) {
        BERTH_TRY(policyKeys, containersPolicyKeys(options.containersPolicy, image.repository,
                                                   options.scratchDir));
    }
    auto attempt = [&](const std::vector<KeyMaterial>& trusted) -> Result<TrustVerdict> {
        std::vector<KeyMaterial> keys = trusted;
        keys.insert(keys.end(), policyKeys.begin(), policyKeys.end());
        std::optional<TrustVerdict> worst;
        for (const auto& signature : signatures) {
            BERTH_TRY(
                TrustVerdict verdict,
                checkSimpleSignature(signature, keys, image, manifestDigest, options.scratchDir));
            if (verdict.ok()) return verdict;
            if (!worst || rank(verdict.status) > rank(worst->status)) worst = verdict;
        }
        return *worst;
    };
    Keyring keyring(options.keyrings);
    return verifyWithKeyring(keyring, image.repository, attempt);
}

} // namespace berth
