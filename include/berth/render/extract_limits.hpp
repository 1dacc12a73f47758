#pragma once

#include <algorithm>
#include <cstdint>

namespace berth
{

// Limits on one layer (a hostile image must not fill the disk or the inode
// table). Exceeding one is an error naming the limit.
struct ExtractLimits {
    uint64_t maxEntries = 2'000'000;
    uint64_t maxBytes = uint64_t{64} << 30; // uncompressed bytes per layer
    uint64_t maxPathLength = 4096;
    // A layer may inflate to this many times its compressed size (but
    // always to inflateFloor, and never past maxBytes): ordinary layers
    // inflate 2 to 10 times, a decompression bomb a thousand.
    uint64_t maxInflateRatio = 100;
    static constexpr uint64_t inflateFloor = uint64_t{64} << 20;

    // The uncompressed bytes allowed for a layer of `compressedBytes`.
    uint64_t inflateLimit(uint64_t compressedBytes) const
    {
        uint64_t byRatio = compressedBytes > UINT64_MAX / std::max<uint64_t>(maxInflateRatio, 1)
                               ? UINT64_MAX
                               : compressedBytes * maxInflateRatio;
        return std::min(maxBytes, std::max(inflateFloor, byRatio));
    }

    // The defaults, lowered or raised by BERTH_MAX_LAYER_ENTRIES,
    // BERTH_MAX_LAYER_BYTES, BERTH_MAX_PATH_LENGTH and
    // BERTH_MAX_INFLATE_RATIO when set (for admins with unusual images, and
    // for tests that must not write 64 GiB).
    static ExtractLimits fromEnvironment();
};

} // namespace berth
