#pragma once

#include <berth/base/result.hpp>
#include <berth/image/aci_manifest.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/store.hpp>
#include <string>

namespace berth
{

// Writes `image` as an ACI file (`berth image export IMAGE FILE.aci`):
//  - an ACI: its stored tar, as imported (so the image ID is unchanged),
//    re-hashed on the way out so a damaged store is noticed;
//  - an OCI image: a new ACI whose manifest comes from the OCI config
//    (ociConfigToAciManifest) and whose rootfs is the OCI layers flattened
//    at the tar level (whiteouts and opaque directories applied, ownership,
//    modes and xattrs kept numerically, no user namespace needed).
// Gzip-compressed, except when `file` ends in ".tar". The file appears
// under its name only once complete; on error nothing is left.
Result<void> exportAci(Store& store, const ImageRecord& image, const std::string& file);

// The appc manifest for an OCI image: name (sanitized to an AC identifier),
// version label = tag, os/arch labels in appc spelling, exec = entrypoint +
// cmd, environment, user/group (default "0"), workingDirectory, ports and
// mount points. Reads the config blob.
Result<AciImageManifest> ociConfigToAciManifest(const Store& store, const ImageRecord& image);

} // namespace berth
