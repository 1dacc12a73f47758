#pragma once

#include <berth/store/digest.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth {

enum class ImageFormat { Oci, Aci };


// One layer of an image as stored: the blob as fetched (maybe compressed) and
// the digest of its uncompressed tar, which keys the tree cache.
struct LayerRecord {
    Digest blob;
    Digest diffId;
    std::string mediaType;
    int64_t size = 0;
};

// An ACI dependency as the manifest states it; resolved at render time.
struct AciDependency {
    std::string name;
    std::optional<std::string> imageId; // "sha512-…", when pinned
    std::vector<std::pair<std::string, std::string>> labels;
};

// What the store's index knows of an image.
struct ImageRecord {
    // OCI: the config digest ("sha256:…", as Podman shows it).
    // ACI: "sha512-" + hex of the SHA-512 of the uncompressed tar.
    std::string id;
    ImageFormat format = ImageFormat::Oci;
    std::string name; // "example.com/app" or "localhost/busybox"
    std::string tag;  // OCI tag, or the ACI "version" label
    // OCI: the manifest blob. ACI: the manifest JSON stored as a blob.
    std::optional<Digest> manifestDigest;
    std::optional<Digest> configDigest; // OCI only
    std::vector<LayerRecord> layers;    // ACI: one, the uncompressed tar (sha512)
    std::vector<AciDependency> dependencies;
    int64_t size = 0;       // bytes of blobs as stored
    int64_t importedAt = 0; // unix seconds
    std::string source;     // the reference it came from
    std::string verifiedBy; // key fingerprint, or "insecure" when allowed unsigned
};

} // namespace berth

namespace berth {

inline std::string imageFormatName(ImageFormat format)
{
    return format == ImageFormat::Oci ? "oci" : "aci";
}

} // namespace berth
