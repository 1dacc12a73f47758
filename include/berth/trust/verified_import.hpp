#pragma once

#include <berth/base/result.hpp>
#include <berth/image/importer.hpp>
#include <berth/trust/image_verification.hpp>

namespace berth
{

// Imports a local image only once its signature verifies, unless the user
// allowed unsigned images (--insecure-options=image):
//  - an .aci file: its detached signature (options.signaturePath, else
//    PATH.asc beside it) must be by a key trusted for the manifest's name;
//    the record then names that key in verifiedBy;
//  - OCI layouts and archives carry no signature berth can read, so they
//    need --insecure-options=image (registries' simple signing is checked
//    by the fetch path).
Result<ImageRecord> importVerifiedImage(Store& store, const ImageReference& reference,
                                        ImportOptions options, const TrustOptions& trust);

// The check a stored image passes before it runs, without calling gpg: an
// image verified by a key still needs that key to be trusted for its name.
// Images stored with --insecure-options=image run: the user said so when
// they stored them.
Result<void> checkStoredImageTrust(const ImageRecord& image, const KeyringPaths& keyrings);

} // namespace berth
