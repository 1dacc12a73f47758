#pragma once

#include <berth/base/result.hpp>
#include <berth/image/aci_manifest.hpp>
#include <berth/image/image_record.hpp>
#include <berth/image/importer.hpp>
#include <berth/store/store.hpp>
#include <string>

namespace berth
{

// How an .aci file is packed, told by its first bytes.
enum class AciCompression { None, Gzip, Bzip2, Xz };

// Imports an ACI file (plain tar, gzip, bzip2 or xz) into the store in one
// pass: the file is decompressed once, the uncompressed tar is hashed
// (SHA-512: the appc image ID) and staged as blobs/sha512/HEX while its
// entries are checked (a top-level `manifest` that validates, `rootfs/`,
// nothing else, no absolute paths or `..`, hardlinks inside rootfs/). Any
// refusal leaves nothing behind. Without options.allowUnsigned the image is
// refused before anything is written.
Result<ImageRecord> importAciFile(Store& store, const std::string& path,
                                  const ImportOptions& options);

// Reads only the manifest of an ACI file (stopping at it), without writing
// anything: for messages and trust decisions before an import.
Result<AciImageManifest> readAciFileManifest(const std::string& path);

// The packing of an .aci file, or an error when it is none we read.
Result<AciCompression> detectAciCompression(const std::string& path);

} // namespace berth
