#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/image/reference.hpp>
#include <berth/store/store.hpp>
#include <string>

namespace berth
{

struct ImportOptions {
    // --insecure-options=image: accept an image with no verified signature.
    // Until signature verification exists, every import needs it.
    bool allowUnsigned = false;
    // For ACI files: a detached signature path (else PATH.asc beside it).
    std::string signaturePath;
    // The fingerprint of the key whose signature the caller (the verify
    // stage, through stage0) checked over these exact bytes with an Ok
    // verdict. When set the image is accepted and recorded as verified by it.
    std::string verifiedBy;
    // OCI: the platform to choose from an index ("linux/amd64[/variant]").
    std::string os = "linux";
    std::string architecture; // empty: the host's, in OCI spelling
};

// Imports an image from a local transport (oci:, oci-archive:,
// docker-archive:, an .aci file) into the store and records it in the index.
// Blobs are verified against their digests while they are copied; nothing
// is visible under a final name until it checks out. Returns the record.
Result<ImageRecord> importImage(Store& store, const ImageReference& reference,
                                const ImportOptions& options);

} // namespace berth
