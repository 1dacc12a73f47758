#pragma once

#include <berth/base/result.hpp>
#include <berth/image/oci_media_types.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

namespace berth
{

// Decompresses a layer stream chunk by chunk, handing the plain bytes to a
// sink, so that copying a blob, hashing it and computing its diff_id is one
// pass over the data. The compression is chosen from the first bytes (gzip
// and zstd magic, else plain), since a media type can lie and docker-archive
// layers carry none.
class Decompressor
{
public:
    using Sink = std::function<Result<void>(std::string_view)>;

    virtual ~Decompressor() = default;
    // Feeds compressed bytes; plain output goes to the sink.
    virtual Result<void> feed(std::string_view input, const Sink& sink) = 0;
    // Called at the end of input: a truncated stream is an error.
    virtual Result<void> finish() = 0;
    virtual LayerCompression compression() const = 0;

    // `head` is at least the first 4 bytes of the stream (or all of it).
    static std::unique_ptr<Decompressor> forStream(std::string_view head);
};

} // namespace berth
