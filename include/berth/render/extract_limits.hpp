#pragma once

#include <cstdint>

namespace berth
{

// Limits on one layer (a hostile image must not fill the disk or the inode
// table). Exceeding one is an error naming the limit.
struct ExtractLimits {
    uint64_t maxEntries = 2'000'000;
    uint64_t maxBytes = uint64_t{64} << 30; // uncompressed bytes per layer
    uint64_t maxPathLength = 4096;

    // The defaults, lowered or raised by BERTH_MAX_LAYER_ENTRIES,
    // BERTH_MAX_LAYER_BYTES and BERTH_MAX_PATH_LENGTH when set (for admins
    // with unusual images, and for tests that must not write 64 GiB).
    static ExtractLimits fromEnvironment();
};

} // namespace berth
