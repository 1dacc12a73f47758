#include <berth/store/file_lock.hpp>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

namespace berth
{

namespace
{

// Returns the locked fd, or an invalid fd when `wait` is false and the lock
// is held elsewhere.
Result<UniqueFd> lockFile(int dirFd, const std::string& name, FileLock::Mode mode, bool wait)
{
    constexpr int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;
    int fd = -1;
    // Bounded: each round means another process created the file and its
    // holder removed it again meanwhile (a blob's fetch lock goes as it is
    // let go), so twenty berths starting at once may need a few.
    for (int round = 0; round < 1000; ++round) {
        fd = ::openat(dirFd, name.c_str(), flags);
        if (fd >= 0 || errno != ENOENT) break;
        fd = ::openat(dirFd, name.c_str(), flags | O_CREAT | O_EXCL, 0660);
        if (fd >= 0) {
            // Set the mode whatever the umask: in the system store the other
            // members of its group open this file too. A lock holds no data.
            ::fchmod(fd, 0660);
            break;
        }
        if (errno != EEXIST) break;
    }
    // Members of a shared store's group may only read some lock files;
    // flock works on a read-only fd.
    if (fd < 0 && errno == EACCES)
        fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return Error::fromErrno("open lock '" + name + "'");
    UniqueFd owned(fd);
    int op = (mode == FileLock::Mode::Shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
    int r;
    do {
        r = ::flock(fd, op);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (errno == EWOULDBLOCK && !wait) return UniqueFd();
        return Error::fromErrno("lock '" + name + "'");
    }
    return owned;
}

} // namespace

Result<FileLock> FileLock::acquire(int dirFd, const std::string& name, Mode mode)
{
    BERTH_TRY(UniqueFd fd, lockFile(dirFd, name, mode, true));
    return FileLock(std::move(fd));
}

Result<FileLock> FileLock::tryAcquire(int dirFd, const std::string& name, Mode mode)
{
    BERTH_TRY(UniqueFd fd, lockFile(dirFd, name, mode, false));
    return FileLock(std::move(fd));
}

} // namespace berth
