#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/store/digest.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace berth
{

enum class StreamCompression { Plain, Gzip, Zstd };

std::string streamCompressionName(StreamCompression compression);

// A layer blob read once: the compressed bytes are hashed (blob digest), the
// tar stream is inflated (ISA-L igzip when built with it, else zlib; zstd with
// libzstd) and hashed (diffId), and handed out chunk by chunk to libarchive.
// The compression is chosen from the magic bytes, never from a media type.
// Reading, hashing and inflating run on a thread of the stream's own, a few
// chunks ahead of the consumer (the thread is joined by finish() and by the
// destructor; a process must not unshare namespaces while a stream is open).
//
// Nothing read is trustworthy until finish() has verified both digests: the
// caller extracts into a temporary place and publishes only after finish().
class LayerStream
{
public:
    struct Expect {
        std::optional<Digest> blob;     // digest of the bytes as stored
        std::optional<Digest> diffId;   // digest of the uncompressed tar
        uint64_t maxBytes = UINT64_MAX; // uncompressed bytes allowed
        std::string maxBytesWhy;        // said after the limit when it is passed
    };

    static Result<LayerStream> open(UniqueFd blobFd, const Expect& expect);

    LayerStream(LayerStream&&) noexcept;
    LayerStream& operator=(LayerStream&&) noexcept;
    ~LayerStream();

    // The next chunk of the uncompressed stream; empty at its end. The span
    // stays valid until the next call.
    Result<std::span<const uint8_t>> next();

    // Reads what the consumer left (tar padding after the end-of-archive
    // blocks) and checks both digests. A digest or size mismatch, or a
    // truncated compressed stream, is an error.
    Result<void> finish();

    StreamCompression compression() const;
    uint64_t uncompressedBytes() const;

private:
    struct State;
    explicit LayerStream(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

} // namespace berth
