#include <berth/trust/trust_verdict.hpp>
#include <fmt/format.h>

namespace berth
{

const char* trustStatusName(TrustVerdict::Status status)
{
    using S = TrustVerdict::Status;
    switch (status) {
    case S::Ok:
        return "ok";
    case S::Unsigned:
        return "unsigned";
    case S::BadSignature:
        return "bad-signature";
    case S::UntrustedKey:
        return "untrusted-key";
    case S::WrongPrefix:
        return "wrong-prefix";
    case S::KeyExpired:
        return "key-expired";
    case S::KeyRevoked:
        return "key-revoked";
    case S::SignatureExpired:
        return "signature-expired";
    case S::InvalidPayload:
        return "invalid-payload";
    case S::DigestMismatch:
        return "digest-mismatch";
    case S::ReferenceMismatch:
        break;
    }
    return "reference-mismatch";
}

std::string describeVerdict(const TrustVerdict& verdict, std::string_view imageName)
{
    using S = TrustVerdict::Status;
    const std::string& key =
        verdict.fingerprint.empty() ? std::string("(unknown key)") : verdict.fingerprint;
    std::string detail = verdict.detail.empty() ? "" : " (" + verdict.detail + ")";
    switch (verdict.status) {
    case S::Ok:
        return fmt::format("image '{}' is signed by trusted key {}", imageName, key);
    case S::Unsigned:
        return fmt::format("image '{}' has no signature{}; trust its publisher's key with "
                           "'berth trust --prefix {} KEYFILE', or accept it unsigned with "
                           "--insecure-options=image",
                           imageName, detail, imageName);
    case S::BadSignature:
        return fmt::format("the signature of image '{}' does not verify{}: the image or its "
                           "signature was altered or damaged; fetch both again from the "
                           "publisher",
                           imageName, detail);
    case S::UntrustedKey:
        return fmt::format("image '{}' is signed by key {}, which is not trusted; if you "
                           "trust it, run 'berth trust --prefix {} KEYFILE'",
                           imageName, key, imageName);
    case S::WrongPrefix:
        return fmt::format("image '{}' is signed by key {}, which is trusted only for {}; "
                           "to trust it for this name too, run 'berth trust --prefix {} "
                           "KEYFILE'",
                           imageName, key, verdict.detail, imageName);
    case S::KeyExpired:
        return fmt::format("image '{}' is signed by key {}, which has expired{}; ask the "
                           "publisher for a signature by a current key, or for the key with "
                           "its new expiry date and trust that",
                           imageName, key, detail);
    case S::KeyRevoked:
        return fmt::format("image '{}' is signed by key {}, which has been revoked{}; do not "
                           "run it, and remove the key with 'berth trust rm {}'",
                           imageName, key, detail, key);
    case S::SignatureExpired:
        return fmt::format("the signature of image '{}' by key {} has expired{}; ask the "
                           "publisher to sign it again",
                           imageName, key, detail);
    case S::InvalidPayload:
        return fmt::format("the signature of image '{}' by key {} holds a claim berth does "
                           "not accept{}; ask the publisher to sign it with a current tool",
                           imageName, key, detail);
    case S::DigestMismatch:
        return fmt::format("the signature of image '{}' by key {} is for another manifest{}; "
                           "the registry served different content than was signed, fetch "
                           "again or ask the publisher",
                           imageName, key, detail);
    case S::ReferenceMismatch:
        break;
    }
    return fmt::format("the signature of image '{}' by key {} is for another image{}; refusing "
                       "a signature moved from one name to another",
                       imageName, key, detail);
}

} // namespace berth
