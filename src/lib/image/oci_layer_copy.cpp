#include <berth/image/oci_decompressor.hpp>
#include <berth/image/oci_layer_copy.hpp>
#include <cerrno>
#include <memory>
#include <unistd.h>
#include <vector>

namespace berth
{

ChunkSource fdChunkSource(int fd)
{
    return [fd](char* buffer, size_t capacity) -> Result<size_t> {
        while (true) {
            ssize_t n = ::read(fd, buffer, capacity);
            if (n >= 0) return static_cast<size_t>(n);
            if (errno != EINTR) return Error::fromErrno("read");
        }
    };
}

Result<LayerRecord> copyLayerToStore(Store& store, const ChunkSource& source,
                                     const LayerCopyRequest& request)
{
    DigestAlgorithm algorithm = request.digest ? request.digest->algorithm() : request.algorithm;
    BERTH_TRY(BlobWriter writer, store.newBlob(algorithm));
    Hasher diffHasher(DigestAlgorithm::Sha256);
    std::unique_ptr<Decompressor> decompressor;
    auto sink = [&](std::string_view plain) -> Result<void> {
        diffHasher.update(plain);
        return ok();
    };

    std::vector<char> buffer(1 << 20);
    uint64_t total = 0;
    std::optional<Error> streamError;
    while (true) {
        BERTH_TRY(size_t n, source(buffer.data(), buffer.size()).context(request.what));
        if (n == 0) break;
        total += n;
        // Stop a blob that is longer than announced before it fills the disk.
        if (request.size >= 0 && total > static_cast<uint64_t>(request.size))
            return Error(request.what + ": size mismatch: larger than the " +
                         std::to_string(request.size) + " bytes its descriptor states");
        std::string_view chunk(buffer.data(), n);
        if (!decompressor) {
            // The first read is large enough to hold any magic we look for,
            // unless the whole stream is shorter.
            decompressor = Decompressor::forStream(chunk);
        }
        BERTH_CHECK(writer.write(chunk).context(request.what));
        if (!streamError) {
            if (auto fed = decompressor->feed(chunk, sink); !fed)
                streamError = std::move(fed).error();
        }
    }
    if (!decompressor) {
        decompressor = Decompressor::forStream({});
    }
    if (!streamError) {
        if (auto finished = decompressor->finish(); !finished)
            streamError = std::move(finished).error();
    }
    if (streamError) {
        // A tampered blob usually breaks the compression too; the digest
        // says what happened more plainly, so check it first.
        if (request.digest)
            BERTH_CHECK(writer.commit(request.digest, request.size).context(request.what));
        return std::move(*streamError).addContext(request.what);
    }
    Digest diffId = diffHasher.finish();
    if (request.size >= 0 && total != static_cast<uint64_t>(request.size))
        return Error(request.what + ": size mismatch: expected " + std::to_string(request.size) +
                     " bytes, got " + std::to_string(total));
    if (request.diffId && !(*request.diffId == diffId))
        return Error(request.what + ": diff_id mismatch: the config states " +
                     request.diffId->str() + ", the uncompressed layer hashes to " + diffId.str());
    BERTH_TRY(Digest blob, writer.commit(request.digest, request.size).context(request.what));
    return LayerRecord{blob, diffId, request.mediaType, static_cast<int64_t>(total)};
}

} // namespace berth
