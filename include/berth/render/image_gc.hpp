#pragma once

#include <berth/base/result.hpp>
#include <berth/stage/id_map.hpp>
#include <berth/store/image_gc.hpp>
#include <berth/store/store.hpp>
#include <string>
#include <vector>

namespace berth
{

struct ImageGcOptions {
    bool dryRun = false;
    // Blobs and tmp/ leftovers too. Off for a member of the system store's
    // group: its blobs are everyone's, and only root collects them.
    bool collectShared = true;
    // The user's own id map: trees hold files owned by its subordinate ids.
    IdMap idMap;
    // Tree keys that pods still use (their images may be gone already).
    std::vector<std::string> keepTrees;
    // Blobs the index names outside image records (detached signatures).
    std::vector<std::string> keepBlobs;
};

struct ImageGcResult {
    GcReport blobs;
    GcReport trees;
    GcReport staging;
    GcReport total() const
    {
        GcReport t = blobs;
        t += trees;
        t += staging;
        return t;
    }
};

// `berth image gc`: with the store lock held exclusively (no import is
// between committing blobs and recording the image), removes blobs no
// stored image references, trees (STORE/trees/KEY) no stored image nor
// pod uses, leftover trees/KEY.tmp-* of renders that died, and abandoned
// tmp/ leftovers of fetches. Trees are removed inside the user namespace.
Result<ImageGcResult> collectImageGarbage(Store& store, const ImageGcOptions& options);

} // namespace berth
