#include <berth/base/hex.hpp>
#include <berth/base/json.hpp>
#include <berth/image/oci_index.hpp>
#include <berth/trust/stored_image_trust.hpp>
#include <berth/trust/stored_image_verification.hpp>
#include <cerrno>
#include <unistd.h>

namespace berth
{

namespace
{

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

Result<std::string> fromHex(std::string_view hex)
{
    if (hex.size() % 2) return Error("stored signature: odd hex length");
    std::string out;
    out.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = hexValue(hex[i]), lo = hexValue(hex[i + 1]);
        if (hi < 0 || lo < 0) return Error("stored signature: not hex");
        out += static_cast<char>(hi << 4 | lo);
    }
    return out;
}

// Streams a blob through its hash; layers may be large.
Result<void> rehashBlob(const Store& store, const Digest& digest, const ImageRecord& image)
{
    auto fd = store.openBlob(digest);
    if (!fd)
        return Error("image '" + image.name + "' (" + image.id + "): blob " + digest.str() +
                     " is missing from the store; remove the image and fetch it again");
    Hasher hasher(digest.algorithm());
    std::string buffer(1 << 20, '\0');
    for (;;) {
        ssize_t n = ::read(fd->get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("read blob " + digest.str());
        }
        if (n == 0) break;
        hasher.update(buffer.data(), static_cast<size_t>(n));
    }
    Digest actual = hasher.finish();
    if (!(actual == digest))
        return Error("image '" + image.name + "' (" + image.id + "): blob " + digest.str() +
                     " was modified (it now hashes to " + actual.str() +
                     "); remove the image with 'berth image rm " + image.id +
                     "' and fetch it again");
    return ok();
}

} // namespace

std::string storedSignaturesKey(const Digest& manifestDigest)
{
    return "simple-signing:" + manifestDigest.str();
}

std::string encodeStoredSignatures(const StoredSignatures& stored)
{
    Json j;
    j["reference"] = stored.reference;
    j["signedDigest"] = stored.signedDigest;
    if (!stored.index.empty()) j["index"] = stored.index;
    j["signatures"] = Json::array();
    for (const auto& signature : stored.signatures)
        j["signatures"].push_back(hexEncode(signature));
    return j.dump();
}

Result<StoredSignatures> decodeStoredSignatures(std::string_view text)
{
    BERTH_TRY(Json j, parseJson(text, "stored signatures"));
    StoredSignatures stored;
    if (!j.is_object()) return Error("stored signatures: not an object");
    BERTH_TRY(stored.reference, jsonString(j, "reference", "stored signatures"));
    BERTH_TRY(stored.signedDigest, jsonString(j, "signedDigest", "stored signatures"));
    BERTH_TRY(stored.index, jsonOptionalString(j, "index", "stored signatures"));
    auto it = j.find("signatures");
    if (it == j.end() || !it->is_array()) return Error("stored signatures: no list");
    for (const auto& hex : *it) {
        if (!hex.is_string()) return Error("stored signatures: not a string");
        BERTH_TRY(std::string bytes, fromHex(hex.get<std::string>()));
        stored.signatures.push_back(std::move(bytes));
    }
    return stored;
}

Result<StoredImageVerdict> verifyStoredImage(Store& store, const ImageRecord& image,
                                             const TrustOptions& options)
{
    StoredImageVerdict result;
    std::vector<Digest> blobs;
    if (image.manifestDigest) blobs.push_back(*image.manifestDigest);
    if (image.configDigest) blobs.push_back(*image.configDigest);
    for (const auto& layer : image.layers)
        blobs.push_back(layer.blob);
    for (const auto& blob : blobs)
        BERTH_CHECK(rehashBlob(store, blob, image));
    result.blobs = blobs.size();
    BERTH_CHECK(checkStoredDigestChain(store, image));

    if (image.verifiedBy.empty() || image.verifiedBy == "insecure")
        return Error("image '" + image.name + "' (" + image.id + ") was stored without a " +
                     "verified signature (--insecure-options=image); its " +
                     std::to_string(result.blobs) +
                     " blobs are intact but there is no signature to check; fetch it again " +
                     "from a signed source");

    if (image.format == ImageFormat::Aci) {
        BERTH_CHECK(checkStillTrusted(image.name, image.verifiedBy, options.keyrings));
        result.fingerprint = image.verifiedBy;
        return result;
    }
    BERTH_TRY(result.fingerprint, verifyStoredSignature(store, image, options));
    result.signatureChecked = true;
    return result;
}

Result<std::string> verifyStoredSignature(Store& store, const ImageRecord& image,
                                          const TrustOptions& options)
{
    if (image.format != ImageFormat::Oci || !image.manifestDigest)
        return Error("image '" + image.name + "' (" + image.id + ") has no stored signature " +
                     "to check: an ACI's signature covers the .aci as fetched, which the " +
                     "store does not keep");
    BERTH_TRY(std::optional<std::string> text,
              store.index().getCache(storedSignaturesKey(*image.manifestDigest)));
    if (!text)
        return Error("image '" + image.name + "' (" + image.id + ") has no stored signature to " +
                     "check; fetch it again with 'berth fetch " + image.source + "'");
    BERTH_TRY(StoredSignatures stored, decodeStoredSignatures(*text));
    // The signatures must be for this image's name: a record re-pointed at
    // another repository's signed manifest is not the image that was asked for.
    BERTH_TRY(std::string signedName, trustNameForDockerReference(stored.reference));
    if (!image.name.empty() && signedName != image.name)
        return Error("image '" + image.name + "' (" + image.id + "): its stored signatures are " +
                     "for '" + signedName + "'; remove the image and fetch it again");
    BERTH_TRY(Digest signedDigest, Digest::parse(stored.signedDigest));
    if (!(signedDigest == *image.manifestDigest)) {
        // Signed through its index: the kept index must still be the signed
        // one and still lead to this manifest.
        BERTH_TRY(OciIndex index,
                  parseOciIndex(stored.index, "stored index " + signedDigest.str()));
        bool listed = false;
        for (const auto& entry : index.manifests)
            listed = listed || entry.digest == *image.manifestDigest;
        if (!(Hasher::hash(signedDigest.algorithm(), stored.index) == signedDigest) || !listed)
            return Error("image '" + image.name + "' (" + image.id + "): the signed index " +
                         signedDigest.str() + " kept in the store no longer leads to its " +
                         "manifest; remove the image and fetch it again");
    }
    BERTH_TRY(TrustVerdict verdict,
              verifyOciSimpleSigning(stored.reference, signedDigest, stored.signatures, options));
    if (!verdict.ok()) {
        BERTH_TRY(std::string name, trustNameForDockerReference(stored.reference));
        return Error(describeVerdict(verdict, name));
    }
    return verdict.fingerprint;
}

Result<void> checkSystemStoreImage(Store& store, const ImageRecord& image, bool allowUnsigned)
{
    if (allowUnsigned) return ok(); // the runner's own --insecure-options=image
    std::string what = "image '" + (image.name.empty() ? image.id : image.name) + "'";
    if (image.verifiedBy.empty() || image.verifiedBy == "insecure")
        return Error(what + " was stored in the system store without a verified signature, " +
                     "by another member's choice; run it with --insecure-options=image if " +
                     "you accept that, or fetch it from a signed source");
    if (image.format == ImageFormat::Aci)
        return Error(what + " in the system store cannot be verified again (an ACI's " +
                     "signature covers the .aci as fetched, which the store does not keep); " +
                     "fetch it into your own store (--store=user), or run it with " +
                     "--insecure-options=image");
    TrustOptions options;
    BERTH_CHECK(
        verifyStoredSignature(store, image, options).context(what + " in the system store"));
    return ok();
}

} // namespace berth
