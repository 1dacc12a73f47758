#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/store.hpp>
#include <berth/trust/image_verification.hpp>
#include <string>
#include <vector>

namespace berth
{

// The simple-signing signatures an OCI image was verified with, kept in the
// store's index cache (not as blobs, which gc would take as unreferenced)
// so that `berth image verify` can check them again without the network.
struct StoredSignatures {
    std::string reference; // as pulled: "host/repo:tag" or "host/repo@sha256:…"
    std::vector<std::string> signatures;
    // The digest the signatures name: the image's manifest, or the index
    // pulled by tag that led to it, whose bytes are then kept in `index`.
    std::string signedDigest;
    std::string index;
};

std::string storedSignaturesKey(const Digest& manifestDigest);
std::string encodeStoredSignatures(const StoredSignatures& stored);
Result<StoredSignatures> decodeStoredSignatures(std::string_view text);

// What `berth image verify` found for an intact image.
struct StoredImageVerdict {
    std::string fingerprint;       // the key that verifies it now
    size_t blobs = 0;              // blobs re-hashed
    bool signatureChecked = false; // false: ACI, whose signed .aci bytes are not kept
};

// `berth image verify`: re-hashes every blob of the image, checks that they
// chain to the verified digest (checkStoredDigestChain), and checks the
// signature again: OCI images against their stored simple-signing
// signatures with today's keys; ACIs, whose signature covers the .aci as
// fetched (compressed, not kept), by the verifying key still being trusted.
// Any failure, including an image stored unsigned, is one Error line.
Result<StoredImageVerdict> verifyStoredImage(Store& store, const ImageRecord& image,
                                             const TrustOptions& options);

} // namespace berth
