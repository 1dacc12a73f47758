#include <berth/fetch/blob_fetch_lock.hpp>
#include <cerrno>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

// The fetch locks this process holds: flock(2) locks of two open files
// exclude each other even within one process, so asking again would wait
// for ourselves.
std::mutex heldMutex;
std::set<std::string>& heldHere()
{
    static std::set<std::string> names;
    return names;
}

} // namespace

std::string blobFetchLockName(const Digest& digest)
{
    // Safe as a file name: a Digest is a known algorithm and hex.
    return "tmp/fetch-" + digest.algorithmName() + "-" + digest.hex() + ".lock";
}

BlobFetchLock::BlobFetchLock(BlobFetchLock&& other) noexcept
    : storeFd_(other.storeFd_), name_(std::move(other.name_)), lock_(std::move(other.lock_))
{
    other.name_.clear();
}

BlobFetchLock& BlobFetchLock::operator=(BlobFetchLock&& other) noexcept
{
    if (this != &other) {
        release();
        storeFd_ = other.storeFd_;
        name_ = std::move(other.name_);
        lock_ = std::move(other.lock_);
        other.name_.clear();
    }
    return *this;
}

Result<BlobFetchLock> BlobFetchLock::acquire(int storeFd, const Digest& digest)
{
    return lock(storeFd, digest, true);
}

Result<BlobFetchLock> BlobFetchLock::tryAcquire(int storeFd, const Digest& digest)
{
    return lock(storeFd, digest, false);
}

Result<BlobFetchLock> BlobFetchLock::lock(int storeFd, const Digest& digest, bool wait)
{
    std::string name = blobFetchLockName(digest);
    {
        std::lock_guard guard(heldMutex);
        if (heldHere().count(name))
            return Error(digest.str() + " is being fetched by this berth already");
    }
    // Bounded: each round means another process let go of the lock meanwhile.
    for (int round = 0; round < 1000; ++round) {
        BERTH_TRY(FileLock held,
                  wait ? FileLock::acquire(storeFd, name, FileLock::Mode::Exclusive)
                       : FileLock::tryAcquire(storeFd, name, FileLock::Mode::Exclusive));
        if (!held.isHeld()) return BlobFetchLock();
        struct stat locked, named;
        if (::fstat(held.fd(), &locked) < 0) return Error::fromErrno("stat lock '" + name + "'");
        if (::fstatat(storeFd, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
            named.st_dev == locked.st_dev && named.st_ino == locked.st_ino) {
            BlobFetchLock lock;
            lock.storeFd_ = storeFd;
            lock.name_ = std::move(name);
            lock.lock_ = std::move(held);
            std::lock_guard guard(heldMutex);
            heldHere().insert(lock.name_);
            return lock;
        }
        // Its holder removed the file as it let go: what we locked is gone.
    }
    return Error("cannot lock '" + name + "': other processes keep replacing it");
}

void BlobFetchLock::release()
{
    if (!lock_.isHeld()) return;
    // Removed while still locked, so that nobody locks this file after us
    // believing it is the current one. In a shared store another member's
    // file may not be ours to remove (sticky tmp/): it then stays, which
    // is safe.
    ::unlinkat(storeFd_, name_.c_str(), 0);
    lock_.release();
    std::lock_guard guard(heldMutex);
    heldHere().erase(name_);
    name_.clear();
}

} // namespace berth
