#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/store.hpp>
#include <berth/trust/keyring.hpp>
#include <string>

namespace berth
{

// The trust check every `berth run` of a stored image makes. It must stay
// cheap and must not call gpg: the warm-run front binary links this file
// without gpgme, libcurl, libarchive or libyaml, so nothing here may use
// them (or anything in trust/ that does).

// Is the key that verified the image when it was stored still trusted for
// its name? Reads only the key directories of the name's prefix chain and
// the root keys. An Error (exit 125) says which key and what to do.
Result<void> checkStillTrusted(const std::string& imageName, const std::string& fingerprint,
                               const KeyringPaths& keyrings);

// Do the stored blobs still chain to the digest that was verified? OCI: the
// manifest blob still hashes to the record's manifest digest (the one the
// signature named), and it names the record's config and layers in order;
// the config blob still hashes to its digest and its diff_ids are the
// record's (the keys of the rendered trees). ACI: the image ID is the
// digest of the stored tar, and the manifest blob still hashes to its
// digest. Only the small manifest and config blobs are read; `berth image
// verify` re-hashes the layers.
Result<void> checkStoredDigestChain(const Store& store, const ImageRecord& image);

// Both checks, for an image verified by a key; images stored with
// --insecure-options=image run (the user said so when they stored them).
// For OCI images a key that berth's keyring no longer trusts still counts
// while the containers policy.json's signedBy requirement for the image's
// scope names it (containersPolicyTrusts; no gpg).
Result<void> checkStoredImageTrust(const Store& store, const ImageRecord& image,
                                   const KeyringPaths& keyrings);

// The key check alone, for callers that do not hold the store.
Result<void> checkStoredImageTrust(const ImageRecord& image, const KeyringPaths& keyrings);

} // namespace berth
