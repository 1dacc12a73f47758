#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>

#include <string>

namespace berth {

// An flock(2) lock on a file that is never removed, so a crash leaves nothing
// to clean: the kernel drops the lock with the last fd.
class FileLock
{
public:
    enum class Mode { Shared, Exclusive };

    FileLock() = default;
    // Blocks until the lock is held. The file is created if missing.
    static Result<FileLock> acquire(int dirFd, const std::string& name, Mode mode);
    // Returns an empty (invalid) FileLock when another process holds it.
    static Result<FileLock> tryAcquire(int dirFd, const std::string& name, Mode mode);

    bool isHeld() const { return fd_.isValid(); }
    int fd() const { return fd_.get(); }
    void release() { fd_.reset(); }

private:
    explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

} // namespace berth
