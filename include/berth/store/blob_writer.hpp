#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/store/digest.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace berth {

class Store;

// Streams a blob into the store's tmp/ directory, hashing as it goes. commit()
// checks the digest (and size), fsyncs and renames into blobs/ALG/HEX; until
// then nothing is visible under a final name. Dropped uncommitted, the
// temporary file is removed.
class BlobWriter
{
public:
    BlobWriter(BlobWriter&&) noexcept;
    BlobWriter& operator=(BlobWriter&&) noexcept;
    ~BlobWriter();

    Result<void> write(const void* data, size_t size);
    Result<void> write(std::string_view data) { return write(data.data(), data.size()); }
    uint64_t bytesWritten() const { return size_; }

    // Verifies `expected` (when given) and `expectedSize` (when >= 0), then
    // publishes. Returns the blob's digest.
    Result<Digest> commit(const std::optional<Digest>& expected = std::nullopt,
                          int64_t expectedSize = -1);

private:
    friend class Store;
    BlobWriter(int storeFd, std::string tmpName, UniqueFd fd, DigestAlgorithm algorithm);
    void discard();

    int storeFd_ = -1;
    std::string tmpName_;
    UniqueFd fd_;
    Hasher hasher_;
    uint64_t size_ = 0;
};

} // namespace berth
