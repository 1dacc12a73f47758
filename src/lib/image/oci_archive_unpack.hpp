#pragma once

#include <berth/base/result.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace berth
{

struct ArchiveUnpackLimits {
    uint64_t maxEntries = 100'000;
    uint64_t maxBytes = uint64_t{64} << 30;
};

// Unpacks an image archive (an oci-archive or docker save tar, maybe
// compressed) into `directory`, an empty directory of ours. The archive is
// untrusted: only directories and regular files are written, every name is
// checked (no absolute paths, no `..`), and files are created from directory
// fds with O_NOFOLLOW. Symlinks between files inside the archive (docker
// save links duplicate layers) become hard links when their target is a file
// in the archive; any other entry type is skipped.
Result<void> unpackImageArchive(const std::string& archivePath, const std::string& directory,
                                const ArchiveUnpackLimits& limits = {});

// Splits a relative archive path into components, refusing absolute paths,
// `..`, and empty names; `.` components are dropped.
Result<std::vector<std::string>> safeRelativePath(const std::string& path);

} // namespace berth
