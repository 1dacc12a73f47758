#include <berth/base/json.hpp>
#include <berth/trust/containers_policy_trust.hpp>
#include <berth/trust/keyring.hpp>
#include <berth/trust/stored_image_trust.hpp>

namespace berth
{

namespace
{

// Manifests and configs are small; a stored one larger than this is not one
// berth wrote.
constexpr size_t kMaxDocumentBytes = 8 << 20;

bool wasVerified(const ImageRecord& image)
{
    return !image.verifiedBy.empty() && image.verifiedBy != "insecure";
}

Error chainBroken(const ImageRecord& image, const std::string& what)
{
    return Error("image '" + image.name + "' (" + image.id + ") no longer matches what was " +
                 "verified: " + what + "; remove it with 'berth image rm " + image.id +
                 "' and fetch it again");
}

// readBlob fails when the blob no longer hashes to its digest, is missing
// or is too large; whichever it is, it is not what was verified.
std::string unreadable(const Digest& digest, const char* what)
{
    return std::string("its ") + what + " blob " + digest.str() + " was modified or removed";
}

// The digest string at object[key], or an empty string when it is missing
// or not a string (which then fails the comparison with the record).
std::string digestField(const Json& object, const char* key)
{
    if (!object.is_object()) return {};
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<void> checkOciChain(const Store& store, const ImageRecord& image)
{
    if (!image.manifestDigest || !image.configDigest)
        return chainBroken(image, "the record names no manifest or config");
    // readBlob re-hashes what it reads: a changed blob is an error here.
    auto manifestText = store.readBlob(*image.manifestDigest, kMaxDocumentBytes);
    if (!manifestText) return chainBroken(image, unreadable(*image.manifestDigest, "manifest"));
    auto manifest = parseJson(*manifestText, "manifest " + image.manifestDigest->str());
    if (!manifest || !manifest->is_object()) return chainBroken(image, "the manifest is no object");
    if (digestField((*manifest)["config"], "digest") != image.configDigest->str() ||
        image.id != image.configDigest->str())
        return chainBroken(image, "the manifest names another config");
    const Json& layers = (*manifest)["layers"];
    if (!layers.is_array() || layers.size() != image.layers.size())
        return chainBroken(image, "the manifest lists other layers");
    for (size_t i = 0; i < image.layers.size(); ++i)
        if (digestField(layers[i], "digest") != image.layers[i].blob.str())
            return chainBroken(image, "layer " + std::to_string(i + 1) + " is not the manifest's");

    auto configText = store.readBlob(*image.configDigest, kMaxDocumentBytes);
    if (!configText) return chainBroken(image, unreadable(*image.configDigest, "config"));
    auto config = parseJson(*configText, "config " + image.configDigest->str());
    if (!config || !config->is_object()) return chainBroken(image, "the config is no object");
    const Json& rootfs = (*config)["rootfs"];
    const Json* diffIds =
        rootfs.is_object() && rootfs.contains("diff_ids") ? &rootfs["diff_ids"] : nullptr;
    if (!diffIds || !diffIds->is_array() || diffIds->size() != image.layers.size())
        return chainBroken(image, "the config lists other layers");
    for (size_t i = 0; i < image.layers.size(); ++i) {
        const Json& id = (*diffIds)[i];
        if (!id.is_string() || id.get<std::string>() != image.layers[i].diffId.str())
            return chainBroken(image,
                               "layer " + std::to_string(i + 1) + " has another content digest");
    }
    return ok();
}

Result<void> checkAciChain(const Store& store, const ImageRecord& image)
{
    // The image ID is the SHA-512 of the tar the verified .aci held; the
    // layer record must be that same tar. Re-hashing it is for `image
    // verify`, not for every run.
    if (image.layers.size() != 1 || image.layers[0].blob.appcStr() != image.id)
        return chainBroken(image, "its tar is not the one its ID names");
    if (!store.hasBlob(image.layers[0].blob))
        return chainBroken(image, "its tar is missing from the store");
    if (image.manifestDigest) {
        auto manifest = store.readBlob(*image.manifestDigest, kMaxDocumentBytes);
        if (!manifest) return chainBroken(image, unreadable(*image.manifestDigest, "manifest"));
    }
    return ok();
}

// checkStillTrusted, widened for OCI images by the containers policy's
// signedBy keys for their scope, which the fetch honoured too.
Result<void> checkKey(const ImageRecord& image, const KeyringPaths& keyrings)
{
    auto trusted = checkStillTrusted(image.name, image.verifiedBy, keyrings);
    if (trusted || image.format != ImageFormat::Oci) return trusted;
    auto byPolicy =
        containersPolicyTrusts(defaultContainersPolicyFile(), image.name, image.verifiedBy);
    if (byPolicy && *byPolicy) return ok();
    return trusted;
}

// The repository a stored simple-signing reference ("host/repo:tag" or
// "host/repo@sha256:…") names.
std::string repositoryOf(std::string reference)
{
    reference = reference.substr(0, reference.find('@'));
    size_t slash = reference.rfind('/');
    size_t colon = reference.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
        reference.resize(colon);
    return reference;
}

// In the system store a name row is another member's word: the image it
// points at must be signed for that name, whatever its record says. Only
// the stored signature's claimed identity is read here (no gpg); the
// engine verifies the signature itself (checkSystemStoreImage).
Result<void> checkSignedForName(const Store& store, const ImageRecord& image)
{
    if (!store.isSystem() || image.format != ImageFormat::Oci || !image.manifestDigest ||
        image.name.empty())
        return ok();
    auto text = store.index().getCache("simple-signing:" + image.manifestDigest->str());
    if (!text || !*text) return ok(); // verifyStoredSignature says it is missing
    auto stored = parseJson(**text, "stored signatures");
    if (!stored || !stored->is_object() || !stored->contains("reference") ||
        !(*stored)["reference"].is_string())
        return ok(); // and that it is unreadable
    std::string signedFor = repositoryOf((*stored)["reference"].get<std::string>());
    if (signedFor == image.name) return ok();
    return Error("image '" + image.name + "' in the system store is " + image.id +
                 ", signed for '" + signedFor + "' by key " + image.verifiedBy +
                 ", not for the name you asked for; refusing it (a member pointed the name at " +
                 "another repository's image): fetch '" + image.name +
                 "' from its registry, and tell an administrator");
}

} // namespace

Result<void> checkStillTrusted(const std::string& imageName, const std::string& fingerprint,
                               const KeyringPaths& keyrings)
{
    Keyring keyring(keyrings);
    BERTH_TRY(bool trusted, keyring.trusts(imageName, fingerprint));
    if (trusted) return ok();
    return Error("image '" + imageName + "' was verified with key " + fingerprint +
                 ", which is no longer trusted for it; trust the key again with 'berth trust "
                 "--prefix " +
                 imageName + " KEYFILE', or remove the image with 'berth image rm'");
}

Result<void> checkStoredDigestChain(const Store& store, const ImageRecord& image)
{
    return image.format == ImageFormat::Oci ? checkOciChain(store, image)
                                            : checkAciChain(store, image);
}

Result<void> checkStoredImageTrust(const Store& store, const ImageRecord& image,
                                   const KeyringPaths& keyrings)
{
    if (!wasVerified(image)) return ok();
    BERTH_CHECK(checkSignedForName(store, image));
    BERTH_CHECK(checkKey(image, keyrings));
    return checkStoredDigestChain(store, image);
}

Result<void> checkStoredImageTrust(const ImageRecord& image, const KeyringPaths& keyrings)
{
    if (!wasVerified(image)) return ok();
    return checkKey(image, keyrings);
}

} // namespace berth
