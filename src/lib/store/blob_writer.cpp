#include <berth/base/file.hpp>
#include <berth/store/blob_writer.hpp>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

BlobWriter::BlobWriter(int storeFd, std::string tmpName, UniqueFd fd, DigestAlgorithm algorithm)
    : storeFd_(storeFd), tmpName_(std::move(tmpName)), fd_(std::move(fd)), hasher_(algorithm)
{
}

BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : storeFd_(other.storeFd_), tmpName_(std::move(other.tmpName_)), fd_(std::move(other.fd_)),
      hasher_(std::move(other.hasher_)), size_(other.size_)
{
    other.tmpName_.clear();
}

BlobWriter& BlobWriter::operator=(BlobWriter&& other) noexcept
{
    if (this != &other) {
        discard();
        storeFd_ = other.storeFd_;
        tmpName_ = std::move(other.tmpName_);
        other.tmpName_.clear();
        fd_ = std::move(other.fd_);
        hasher_ = std::move(other.hasher_);
        size_ = other.size_;
    }
    return *this;
}

BlobWriter::~BlobWriter()
{
    discard();
}

void BlobWriter::discard()
{
    fd_.reset();
    if (!tmpName_.empty()) ::unlinkat(storeFd_, tmpName_.c_str(), 0);
    tmpName_.clear();
}

Result<void> BlobWriter::write(const void* data, size_t size)
{
    if (!fd_) return Error("write blob: writer already closed");
    hasher_.update(data, size);
    size_ += size;
    return writeAll(fd_.get(), std::string_view(static_cast<const char*>(data), size))
        .context("write blob");
}

Result<Digest> BlobWriter::commit(const std::optional<Digest>& expected, int64_t expectedSize)
{
    if (!fd_) return Error("commit blob: writer already closed");
    Digest actual = hasher_.finish();
    if (expected && !(*expected == actual)) {
        discard();
        return Error("digest mismatch: expected " + expected->str() + ", got " + actual.str());
    }
    if (expectedSize >= 0 && static_cast<uint64_t>(expectedSize) != size_) {
        discard();
        return Error("size mismatch for " + actual.str() + ": expected " +
                     std::to_string(expectedSize) + " bytes, got " + std::to_string(size_));
    }
    if (::fsync(fd_.get()) < 0) {
        int err = errno;
        discard();
        return Error::fromErrno("fsync blob", err);
    }
    // Blobs are immutable: read-only for everyone who can reach the store.
    ::fchmod(fd_.get(), 0444);
    fd_.reset();
    if (auto published = publishBlob(storeFd_, tmpName_, actual); !published) {
        discard();
        return std::move(published).error();
    }
    tmpName_.clear();
    return actual;
}

Result<void> publishBlob(int storeFd, const std::string& tmpName, const Digest& digest)
{
    std::string final = "blobs/" + digest.blobPath();
    if (::renameat(storeFd, tmpName.c_str(), storeFd, final.c_str()) == 0) return ok();
    int err = errno;
    if (err == EPERM || err == EACCES) {
        auto existing = openAt(storeFd, final, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (existing) {
            BERTH_TRY(Digest there, Hasher::hashFile(digest.algorithm(), existing->get()));
            if (!(there == digest))
                return Error("blob " + digest.str() +
                             " in the store was modified after it was stored and belongs to "
                             "another user; ask an administrator to remove it");
            ::unlinkat(storeFd, tmpName.c_str(), 0);
            return ok();
        }
    }
    return Error::fromErrno("publish blob " + digest.str(), err);
}

} // namespace berth
