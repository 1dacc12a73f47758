#pragma once

#include <berth/base/result.hpp>
#include <berth/store/digest.hpp>
#include <berth/store/file_lock.hpp>
#include <string>

namespace berth
{

// The flock(2) that serialises fetches of one blob across processes, on
// tmp/fetch-ALG-HEX.lock (blobFetchLockName). Unlike a FileLock its file
// does not outlive the fetch: the holder removes it as it lets go, and
// whoever locked the file meanwhile sees that the name no longer leads to
// what it locked and locks the new file instead. So fetches leave no lock
// files behind, and a lock that is free is one no live berth holds.
//
// A process never waits for a lock it holds itself: asking for one it
// holds is an error (it would wait forever).
class BlobFetchLock
{
public:
    BlobFetchLock() = default;
    BlobFetchLock(BlobFetchLock&& other) noexcept;
    BlobFetchLock& operator=(BlobFetchLock&& other) noexcept;
    BlobFetchLock(const BlobFetchLock&) = delete;
    BlobFetchLock& operator=(const BlobFetchLock&) = delete;
    ~BlobFetchLock() { release(); }

    // Blocks until the lock is held.
    static Result<BlobFetchLock> acquire(int storeFd, const Digest& digest);
    // An empty BlobFetchLock when another process holds it.
    static Result<BlobFetchLock> tryAcquire(int storeFd, const Digest& digest);

    bool isHeld() const { return lock_.isHeld(); }
    // Removes the file, then drops the lock.
    void release();

private:
    static Result<BlobFetchLock> lock(int storeFd, const Digest& digest, bool wait);

    int storeFd_ = -1; // borrowed from the Store
    std::string name_;
    FileLock lock_;
};

// "tmp/fetch-ALG-HEX.lock", relative to the store's root.
std::string blobFetchLockName(const Digest& digest);

} // namespace berth
