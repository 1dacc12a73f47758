#pragma once

#include <berth/base/result.hpp>
#include <berth/image/importer.hpp>
#include <berth/trust/image_verification.hpp>
// checkStoredImageTrust moved there; run_pod.cpp still finds it through here.
#include <berth/trust/stored_image_trust.hpp>

namespace berth
{

// Imports a local image only once its signature verifies, unless the user
// allowed unsigned images (--insecure-options=image):
//  - an .aci file: its detached signature (options.signaturePath, else
//    PATH.asc beside it) must be by a key trusted for the manifest's name;
//    the record then names that key in verifiedBy;
//  - OCI layouts and archives carry no signature berth reads (a
//    --signature for one is refused rather than ignored), so they need
//    --insecure-options=image; registries' simple signing is checked by
//    the fetch path.
Result<ImageRecord> importVerifiedImage(Store& store, const ImageReference& reference,
                                        ImportOptions options, const TrustOptions& trust);

} // namespace berth
