#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/image/importer.hpp>
#include <berth/image/reference.hpp>
#include <berth/store/store.hpp>

namespace berth
{

// oci-archive:FILE[:TAG]: a tar of an OCI layout. It is unpacked into the
// store's tmp/ (same filesystem, removed afterwards) and imported as a layout.
Result<ImageRecord> importOciArchive(Store& store, const ImageReference& reference,
                                     const ImportOptions& options);

} // namespace berth
