#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/store/blob_writer.hpp>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

BlobWriter::BlobWriter(int storeFd, std::string tmpName, UniqueFd fd, DigestAlgorithm algorithm,
                       int privateFd)
    : storeFd_(storeFd), tmpName_(std::move(tmpName)), fd_(std::move(fd)), hasher_(algorithm),
      privateFd_(privateFd)
{
}

BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : storeFd_(other.storeFd_), tmpName_(std::move(other.tmpName_)), fd_(std::move(other.fd_)),
      hasher_(std::move(other.hasher_)), size_(other.size_), privateFd_(other.privateFd_)
{
    other.tmpName_.clear();
}

BlobWriter& BlobWriter::operator=(BlobWriter&& other) noexcept
{
    if (this != &other) {
        discard();
        storeFd_ = other.storeFd_;
        privateFd_ = other.privateFd_;
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
    if (auto published = publishBlob(storeFd_, tmpName_, actual, privateFd_); !published) {
        discard();
        return std::move(published).error();
    }
    tmpName_.clear();
    return actual;
}

namespace
{

// Copies the staged bytes into the private part as blobs/ALG/HEX, hashing
// them again: the staging file sits in a directory members share.
Result<void> publishPrivately(int storeFd, const std::string& tmpName, const Digest& digest,
                              int privateFd)
{
    BERTH_TRY(UniqueFd in, openAt(storeFd, tmpName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    std::string final = "blobs/" + digest.blobPath();
    std::string staged = final + ".tmp-" + randomHex(8);
    BERTH_TRY(UniqueFd out, openAt(privateFd, staged,
                                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400));
    Hasher hasher(digest.algorithm());
    std::string buffer(1 << 20, '\0');
    Result<void> copied = ok();
    for (;;) {
        ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            copied = Error::fromErrno("read '" + tmpName + "'");
            break;
        }
        if (n == 0) break;
        std::string_view chunk(buffer.data(), static_cast<size_t>(n));
        hasher.update(chunk.data(), chunk.size());
        copied = writeAll(out.get(), chunk);
        if (!copied) break;
    }
    if (copied) {
        Digest actual = hasher.finish();
        if (!(actual == digest))
            copied = Error("blob " + digest.str() + " changed while it was copied (now " +
                           actual.str() + "); fetch it again");
        else if (::fsync(out.get()) < 0)
            copied = Error::fromErrno("fsync '" + staged + "'");
        else if (::renameat(privateFd, staged.c_str(), privateFd, final.c_str()) < 0)
            copied = Error::fromErrno("rename '" + staged + "'");
    }
    if (!copied) {
        ::unlinkat(privateFd, staged.c_str(), 0);
        return copied;
    }
    ::unlinkat(storeFd, tmpName.c_str(), 0);
    return ok();
}

} // namespace

Result<void> publishBlob(int storeFd, const std::string& tmpName, const Digest& digest,
                         int privateFd)
{
    std::string final = "blobs/" + digest.blobPath();
    if (::renameat(storeFd, tmpName.c_str(), storeFd, final.c_str()) == 0) return ok();
    int err = errno;
    // The sticky blob directory keeps another member's file (or directory)
    // under the name.
    bool taken = err == EPERM || err == EACCES || err == EISDIR || err == ENOTEMPTY ||
                 err == EEXIST || err == ENOTDIR;
    if (!taken) return Error::fromErrno("publish blob " + digest.str(), err);
    auto existing = openAt(storeFd, final, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (existing) {
        // Unreadable (a directory, say) counts as other bytes.
        auto there = Hasher::hashFile(digest.algorithm(), existing->get());
        if (there && *there == digest) {
            ::unlinkat(storeFd, tmpName.c_str(), 0);
            return ok();
        }
    }
    if (privateFd < 0)
        return Error("blob " + digest.str() + " in the store holds other bytes under its name " +
                     "and belongs to another user; ask an administrator to remove it");
    BERTH_CHECK(publishPrivately(storeFd, tmpName, digest, privateFd)
                    .context("keep a private copy of blob " + digest.str()));
    logWarning("blob {} in the shared store holds other bytes than its name says (another "
               "member's file); your verified copy is kept in your own part of the store: ask an "
               "administrator to remove the shared one",
               digest.str());
    return ok();
}

} // namespace berth
