#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/image/oci_config.hpp>
#include <berth/image/oci_manifest.hpp>
#include <berth/store/store.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace berth
{

// The last step of every OCI import: the layers are in the store already;
// this stores the manifest and config blobs, fills in the record and puts it
// in the index in one transaction. Until then no name points at anything.
Result<ImageRecord> commitOciImage(Store& store, ImageRecord record, std::string_view manifestText,
                                   const std::optional<Digest>& expectedManifest,
                                   const OciManifest& manifest, std::string_view configText);

// Checks the config against the manifest before any layer is copied: one
// diff_id per layer.
Result<void> checkDiffIdCount(const OciManifest& manifest, const OciImageConfig& config,
                              std::string_view what);

// Splits "name[:tag]" where the tag follows the last ':' after the last '/'.
void splitNameTag(const std::string& text, std::string* name, std::string* tag);

} // namespace berth
