#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/store/digest.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace berth
{

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
    BlobWriter(int storeFd, std::string tmpName, UniqueFd fd, DigestAlgorithm algorithm,
               int privateFd);
    void discard();

    int storeFd_ = -1;
    std::string tmpName_;
    UniqueFd fd_;
    Hasher hasher_;
    uint64_t size_ = 0;
    int privateFd_ = -1;
};

// Moves `tmpName` (a complete, fsynced file under the store's root fd
// `storeFd`, whose bytes hash to `digest`) to the blob's final name. A blob
// already there with the same bytes is kept, and `tmpName` removed. One
// with other bytes is replaced; where it cannot be (the system store's blob
// directories are sticky, so another member's blob stays) the bytes of
// `tmpName` are copied, hashed again, into the member's private part
// (`privateFd`, see Store::privateFd), where readers look first: a blob
// planted under a name never blocks a correct fetch. On failure `tmpName`
// is left to the caller.
Result<void> publishBlob(int storeFd, const std::string& tmpName, const Digest& digest,
                         int privateFd = -1);

} // namespace berth
