#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/store.hpp>
#include <string>

namespace berth
{

// Writes an OCI image from the store into an OCI image layout at `directory`
// (created if missing; an existing layout gains the image): blobs under
// blobs/ALG/HEX, oci-layout, and an index.json entry annotated with
// org.opencontainers.image.ref.name = `tag` (default: the image's tag, else
// "latest"), replacing an entry with the same ref name. Every file is
// written to a temporary name and renamed, so readers never see a part.
Result<void> exportOciLayout(Store& store, const ImageRecord& image, const std::string& directory,
                             const std::string& tag);

} // namespace berth
