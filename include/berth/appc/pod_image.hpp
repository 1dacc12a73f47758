#pragma once

#include <berth/base/result.hpp>
#include <berth/image/aci_manifest.hpp>
#include <berth/image/image_record.hpp>
#include <berth/trust/keyring.hpp>
#include <functional>
#include <optional>
#include <string>

namespace berth
{

class Store;

// One app's image as an appc pod needs it: the record (id, layers), the
// parsed manifest (to run it) and the manifest's bytes as stored (served
// unchanged by the metadata service as "the original image manifest").
struct PodImage {
    ImageRecord record;
    AciImageManifest manifest;
    std::string manifestJson;
};

// Finds the image a pod manifest's app names (image.id, or image.name plus
// labels). The run engine may wrap the store lookup with a fetch.
using PodImageResolver = std::function<Result<PodImage>(const AciRuntimeImage&)>;

// Reads an ACI's manifest from the store. OCI images are refused: appc pods
// and the metadata service speak ACI manifests.
Result<PodImage> loadPodImage(const Store& store, const ImageRecord& record);

// How a pod manifest's images are checked before they run: as `berth run
// IMAGE` checks a stored image (checkStoredImageTrust).
struct PodImageTrust {
    // --insecure-options=image: the user takes the images as they are.
    bool allowUnsigned = false;
    // Where trusted keys are; KeyringPaths::defaults() when unset.
    std::optional<KeyringPaths> keyrings;
};

// Resolves against the store: by ID (full or a unique prefix) when given,
// else by name, with the "version" label as the tag (the newest import when
// absent); every other requested label (os, arch, …) must match the image's.
// An image stored as verified by a key must still be trusted for its name,
// unless trust.allowUnsigned.
Result<PodImage> resolvePodImage(Store& store, const AciRuntimeImage& image,
                                 const PodImageTrust& trust = {});

} // namespace berth
