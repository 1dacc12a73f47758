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

// The signature check of verifyStoredImage alone, for an OCI image verified
// by a key: its stored simple-signing signatures against today's keys.
// Returns the fingerprint of the key that verifies it. ACIs have no stored
// signature to check (their signature covers the .aci as fetched).
Result<std::string> verifyStoredSignature(Store& store, const ImageRecord& image,
                                          const TrustOptions& options);

// What `berth run` checks of an image in the shared system store, beyond
// what it checks everywhere (checkStoredImageTrust). Every member of group
// berth writes the index, so what a record says of its verification is
// another member's word, not the runner's: an image stored unsigned runs only
// with the runner's own --insecure-options=image, and one recorded as
// verified is verified again with gpg against the runner's trusted keys
// (OCI; an ACI's signature is not kept, so it needs --insecure-options=image).
Result<void> checkSystemStoreImage(Store& store, const ImageRecord& image, bool allowUnsigned);

} // namespace berth
