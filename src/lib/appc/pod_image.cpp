#include <berth/appc/pod_image.hpp>
#include <berth/store/store.hpp>
#include <berth/trust/stored_image_trust.hpp>

namespace berth
{

Result<PodImage> loadPodImage(const Store& store, const ImageRecord& record)
{
    if (record.format != ImageFormat::Aci)
        return Error("image " + record.id + " is an OCI image; appc pods run ACIs");
    if (!record.manifestDigest) return Error("image " + record.id + " has no stored manifest");
    PodImage image;
    image.record = record;
    BERTH_TRY(
        image.manifestJson,
        store.readBlob(*record.manifestDigest).context("read the manifest of image " + record.id));
    BERTH_TRY(image.manifest,
              parseAciImageManifest(image.manifestJson).context("image " + record.id));
    return image;
}

Result<PodImage> resolvePodImage(Store& store, const AciRuntimeImage& image,
                                 const PodImageTrust& trust)
{
    std::string reference;
    if (!image.id.empty()) {
        reference = image.id;
    } else if (image.name) {
        reference = *image.name;
        for (const auto& [name, value] : image.labels)
            if (name == "version") reference += ":" + value;
    } else {
        return Error("the image needs an id or a name");
    }
    BERTH_TRY(ImageRecord record, store.index().resolve(reference));
    // The same check as `berth run IMAGE`: a manifest is no way around a key
    // the user has stopped trusting (berth trust rm). No gpg runs here.
    // In the shared system store a record of how an ACI was verified is
    // another member's word, and an ACI's signature is not kept to check it
    // again (see checkSystemStoreImage).
    if (!trust.allowUnsigned && store.isSystem())
        return Error("image " + reference + " in the system store cannot be verified again (an " +
                     "ACI's signature covers the .aci as fetched, which the store does not " +
                     "keep); fetch it into your own store (--store=user), or run the pod with " +
                     "--insecure-options=image");
    if (!trust.allowUnsigned)
        BERTH_CHECK(checkStoredImageTrust(
            store, record, trust.keyrings ? *trust.keyrings : KeyringPaths::defaults()));
    BERTH_TRY(PodImage resolved, loadPodImage(store, record));
    if (image.id.empty()) {
        // By name, labels select: an image that lacks one is not the one asked for.
        for (const auto& [name, value] : image.labels) {
            auto has = resolved.manifest.label(name);
            if (!has || *has != value)
                return Error("image " + reference + " in the store has " + name + "=" +
                             (has ? *has : "(none)") + ", the pod asks for " + name + "=" + value);
        }
    }
    return resolved;
}

} // namespace berth
