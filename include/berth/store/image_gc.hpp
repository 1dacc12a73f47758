#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/store.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace berth
{

// What the stored images still use: every other blob, tree and staging
// leftover is garbage for `berth image gc`.
struct ImageReferences {
    std::set<std::string> blobs;   // "sha256:HEX", "sha512:HEX"
    std::set<std::string> diffIds; // layer diffIds ("sha256:HEX"), which key the tree cache
};

// Pure: the blobs and layers `images` reference (manifest, config, layers,
// an ACI's tar and manifest), plus `extraBlobs` (blobs the index names
// outside the records, such as an ACI's detached signature).
ImageReferences imageReferences(const std::vector<ImageRecord>& images,
                                const std::vector<std::string>& extraBlobs);

// What a collection removed (or would remove, in a dry run).
struct GcReport {
    size_t count = 0;
    int64_t bytes = 0;
    GcReport& operator+=(const GcReport& other)
    {
        count += other.count;
        bytes += other.bytes;
        return *this;
    }
};

// Removes every blob under blobs/ not in `references`. The caller holds the
// store lock exclusively, so no import is between committing a blob and
// recording the image that names it.
Result<GcReport> collectBlobs(Store& store, const ImageReferences& references, bool dryRun);

// Removes abandoned tmp/ leftovers: partial blobs whose fetch lock
// (tmp/fetch-ALG-HEX.lock) nobody holds, and fetch staging dirs whose flock
// nobody holds. Held locks mean a fetch is running: its files stay.
Result<GcReport> collectStaging(Store& store, bool dryRun);

// The fetch staging dirs (tmp/fetch-stage-*) alone: each fetch stage holds
// an flock on its dir until it removes it, so one nobody holds was left by
// a berth killed mid-fetch. Every fetch calls this before staging its own.
Result<GcReport> collectAbandonedStagingDirs(Store& store, bool dryRun);

} // namespace berth
