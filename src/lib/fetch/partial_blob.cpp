#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/fetch/partial_blob.hpp>
#include <berth/store/blob_writer.hpp>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace berth
{

std::string PartialBlob::nameFor(const Digest& expected)
{
    // Safe as a file name: a Digest is a known algorithm and hex.
    return "tmp/partial-" + expected.algorithmName() + "-" + expected.hex();
}

PartialBlob::PartialBlob(int storeFd, std::string name, UniqueFd fd, const Digest& expected,
                         int64_t expectedSize, int64_t size)
    : storeFd_(storeFd), name_(std::move(name)), fd_(std::move(fd)), expected_(expected),
      expectedSize_(expectedSize), size_(size),
      hasher_(std::make_unique<Hasher>(expected.algorithm()))
{
}

PartialBlob::PartialBlob(PartialBlob&& other) noexcept
{
    *this = std::move(other);
}

PartialBlob& PartialBlob::operator=(PartialBlob&& other) noexcept
{
    if (this != &other) {
        keep();
        storeFd_ = other.storeFd_;
        privateFd_ = other.privateFd_;
        name_ = std::move(other.name_);
        other.name_.clear();
        fd_ = std::move(other.fd_);
        expected_ = std::move(other.expected_);
        expectedSize_ = other.expectedSize_;
        size_ = other.size_;
        replayed_ = other.replayed_;
        verified_ = other.verified_;
        hasher_ = std::move(other.hasher_);
    }
    return *this;
}

PartialBlob::~PartialBlob()
{
    keep();
}

Result<PartialBlob> PartialBlob::open(int storeFd, const Digest& expected, int64_t expectedSize,
                                      int privateFd)
{
    std::string name = nameFor(expected);
    // No O_EXCL: an existing partial is what we came for. O_NOFOLLOW: tmp/
    // is ours, but a link there must not redirect our writes. Group
    // writable: in a shared system store (group berth) another member may
    // be the one who resumes it.
    int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
    auto opened = openAt(storeFd, name, flags, 0660);
    if (!opened && (opened.error().errnum() == EACCES || opened.error().errnum() == EPERM)) {
        // Left by another user who could not share it: start afresh, under
        // the usual name when we may remove theirs, else under our own.
        logDebug("'{}' is not ours to resume: {}", name, opened.error().message());
        if (::unlinkat(storeFd, name.c_str(), 0) < 0) name += "-" + randomHex(4);
        opened = openAt(storeFd, name, flags | O_EXCL, 0660);
    }
    BERTH_TRY(UniqueFd fd, std::move(opened));
    struct stat st {
    };
    if (::fstat(fd.get(), &st) < 0) return Error::fromErrno("stat '" + name + "'");
    if (!S_ISREG(st.st_mode)) return Error("'" + name + "' in the store is not a regular file");
    int64_t size = st.st_size;
    if (expectedSize >= 0 && size > expectedSize) {
        logDebug("{}: {} bytes, more than the blob's {}: starting over", name, size, expectedSize);
        if (::ftruncate(fd.get(), 0) < 0) return Error::fromErrno("truncate '" + name + "'");
        size = 0;
    }
    if (::lseek(fd.get(), size, SEEK_SET) < 0) return Error::fromErrno("seek '" + name + "'");
    PartialBlob partial(storeFd, std::move(name), std::move(fd), expected, expectedSize, size);
    partial.privateFd_ = privateFd;
    return partial;
}

Result<void> PartialBlob::replay(const std::function<Result<void>(std::string_view)>& sink)
{
    if (replayed_) return Error("replay of '" + name_ + "' twice");
    replayed_ = true;
    std::vector<char> buffer(1 << 20);
    int64_t offset = 0;
    while (offset < size_) {
        size_t want = static_cast<size_t>(std::min<int64_t>(size_ - offset, buffer.size()));
        ssize_t n = ::pread(fd_.get(), buffer.data(), want, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::fromErrno("read '" + name_ + "'");
        // Shorter than fstat said: only a concurrent writer could do that,
        // and the fetch lock rules one out.
        if (n == 0) return Error("'" + name_ + "' shrank while being read");
        std::string_view chunk(buffer.data(), static_cast<size_t>(n));
        hasher_->update(chunk);
        BERTH_CHECK(sink(chunk));
        offset += n;
    }
    return ok();
}

Result<void> PartialBlob::write(std::string_view bytes)
{
    if (!fd_) return Error("write '" + name_ + "': already closed");
    // Bytes already on disk must be hashed first, or the digest misses them.
    if (size_ > 0 && !replayed_) return Error("write '" + name_ + "' before its replay");
    replayed_ = true;
    hasher_->update(bytes);
    BERTH_CHECK(writeAll(fd_.get(), bytes).context("write '" + name_ + "'"));
    size_ += static_cast<int64_t>(bytes.size());
    return ok();
}

Result<void> PartialBlob::adopt(std::string_view bytes)
{
    if (!fd_) return Error("adopt '" + name_ + "': already closed");
    if (size_ > 0 && !replayed_) return Error("adopt '" + name_ + "' before its replay");
    replayed_ = true;
    hasher_->update(bytes);
    size_ += static_cast<int64_t>(bytes.size());
    // Where the next write() (a transfer in stage0) continues.
    if (::lseek(fd_.get(), size_, SEEK_SET) < 0) return Error::fromErrno("seek '" + name_ + "'");
    return ok();
}

Result<Digest> PartialBlob::verify()
{
    if (!fd_) return Error("verify '" + name_ + "': already closed");
    if (size_ > 0 && !replayed_) return Error("verify '" + name_ + "' before its replay");
    Digest actual = hasher_->finish();
    // finish() consumed the state; a restart() begins a new one.
    hasher_ = std::make_unique<Hasher>(expected_->algorithm());
    replayed_ = false;
    if (!(actual == *expected_))
        return Error("digest mismatch: expected " + expected_->str() + ", got " + actual.str());
    if (expectedSize_ >= 0 && size_ != expectedSize_)
        return Error("size mismatch for " + actual.str() + ": expected " +
                     std::to_string(expectedSize_) + " bytes, got " + std::to_string(size_));
    verified_ = true;
    return actual;
}

Result<void> PartialBlob::publish()
{
    if (!fd_ || !verified_) return Error("publish '" + name_ + "' before it is verified");
    if (::fsync(fd_.get()) < 0) return Error::fromErrno("fsync '" + name_ + "'");
    // Blobs are immutable: read-only for everyone who can reach the store.
    ::fchmod(fd_.get(), 0444);
    BERTH_CHECK(publishBlob(storeFd_, name_, *expected_, privateFd_));
    fd_.reset();
    name_.clear();
    return ok();
}

Result<void> PartialBlob::restart()
{
    if (!fd_) return Error("restart '" + name_ + "': already closed");
    if (::ftruncate(fd_.get(), 0) < 0) return Error::fromErrno("truncate '" + name_ + "'");
    if (::lseek(fd_.get(), 0, SEEK_SET) < 0) return Error::fromErrno("seek '" + name_ + "'");
    size_ = 0;
    replayed_ = false;
    verified_ = false;
    hasher_ = std::make_unique<Hasher>(expected_->algorithm());
    return ok();
}

void PartialBlob::discard()
{
    fd_.reset();
    if (!name_.empty()) ::unlinkat(storeFd_, name_.c_str(), 0);
    name_.clear();
}

void PartialBlob::keep()
{
    if (!name_.empty() && size_ == 0) {
        discard();
        return;
    }
    fd_.reset();
    name_.clear();
}

} // namespace berth
