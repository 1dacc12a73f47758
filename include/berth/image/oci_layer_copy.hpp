#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/digest.hpp>
#include <berth/store/store.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace berth
{

// Reads up to `capacity` bytes into `buffer`; 0 at the end of the stream.
using ChunkSource = std::function<Result<size_t>(char* buffer, size_t capacity)>;

ChunkSource fdChunkSource(int fd);

struct LayerCopyRequest {
    std::string what;             // "layer 2 (sha256:…)" for errors
    std::string mediaType;        // recorded as given
    std::optional<Digest> digest; // expected blob digest, when known
    int64_t size = -1;            // expected size, when known
    std::optional<Digest> diffId; // expected diff_id, when known
    DigestAlgorithm algorithm = DigestAlgorithm::Sha256;
};

// Copies a layer into the store in one pass: the bytes go to a BlobWriter
// (blob digest), through the decompressor into a SHA-256 (diff_id). Sizes,
// the blob digest and the diff_id are checked before the blob is published;
// on any mismatch nothing appears under blobs/.
Result<LayerRecord> copyLayerToStore(Store& store, const ChunkSource& source,
                                     const LayerCopyRequest& request);

} // namespace berth
