#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/store/digest.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace berth
{

// The staging file of a blob being downloaded, named by the digest it must
// have (tmp/partial-ALG-HEX), so that a berth killed mid-blob leaves bytes
// the next fetch of the same blob picks up and resumes with Range. Only the
// holder of the blob's fetch lock (blobFetchLockName) may open it: two
// processes never write the same partial. It lives in the store's tmp/, so
// it is never mistaken for a blob or an image.
class PartialBlob
{
public:
    PartialBlob() = default;
    PartialBlob(PartialBlob&& other) noexcept;
    PartialBlob& operator=(PartialBlob&& other) noexcept;
    ~PartialBlob();

    // The file name under the store root.
    static std::string nameFor(const Digest& expected);

    // Opens (or starts) the partial of `expected` under `storeFd`. Bytes
    // already there beyond `expectedSize` (when >= 0) cannot be a prefix of
    // the blob: the file is emptied. `privateFd`: see publishBlob.
    static Result<PartialBlob> open(int storeFd, const Digest& expected, int64_t expectedSize,
                                    int privateFd = -1);

    // Bytes already on disk: where the download resumes.
    int64_t size() const { return size_; }

    // Feeds the bytes already on disk to the blob hash and to `sink` (the
    // layer's decompressor), so that hashes computed while streaming cover
    // the whole file, not only the bytes this process received.
    Result<void> replay(const std::function<Result<void>(std::string_view)>& sink);

    Result<void> write(std::string_view bytes);
    // Bytes another process (the fetch stage) appended through fd(): hashed
    // and counted as write() would, not written again.
    Result<void> adopt(std::string_view bytes);
    // The open file, for the fetch stage to append to.
    int fd() const { return fd_.get(); }

    // Checks the digest over the whole file (the replayed prefix and every
    // byte written since) and the size. A mismatch leaves the file for the
    // caller to restart() or discard().
    Result<Digest> verify();
    // Publishes a verified file as blobs/ALG/HEX.
    Result<void> publish();

    // Empties the file and starts over: its bytes failed the digest.
    Result<void> restart();

    // Removes the file (a blob that is no layer, or nothing written).
    void discard();

    // Closes the file, leaving its bytes for a later fetch to resume; an
    // empty file is removed, it would only clutter tmp/.
    void keep();

private:
    PartialBlob(int storeFd, std::string name, UniqueFd fd, const Digest& expected,
                int64_t expectedSize, int64_t size);

    int storeFd_ = -1;
    int privateFd_ = -1;
    std::string name_;
    UniqueFd fd_;
    std::optional<Digest> expected_;
    int64_t expectedSize_ = -1;
    int64_t size_ = 0;
    bool replayed_ = false;
    bool verified_ = false;
    std::unique_ptr<Hasher> hasher_;
};

} // namespace berth
