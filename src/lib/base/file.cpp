#include <berth/base/file.hpp>
#include <berth/base/hex.hpp>
#include <berth/base/regular_file.hpp>
#include <berth/base/tree_walk.hpp>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

Result<UniqueFd> openPath(const std::string& path, int flags, mode_t mode)
{
    return openAt(AT_FDCWD, path, flags, mode);
}

Result<UniqueFd> openAt(int dirFd, const std::string& path, int flags, mode_t mode)
{
    int fd = ::openat(dirFd, path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) return Error::fromErrno("open '" + path + "'");
    return UniqueFd(fd);
}

Result<UniqueFd> openDirectory(const std::string& path)
{
    return openPath(path, O_RDONLY | O_DIRECTORY);
}

Result<std::string> readAll(int fd, size_t maxBytes)
{
    std::string out;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("read");
        }
        if (n == 0) break;
        if (out.size() + static_cast<size_t>(n) > maxBytes)
            return Error("larger than " + std::to_string(maxBytes) + " bytes");
        out.append(buffer, static_cast<size_t>(n));
    }
    return out;
}

Result<std::string> readFileAt(int dirFd, const std::string& path, size_t maxBytes)
{
    BERTH_TRY(UniqueFd fd, openRegularFileAt(dirFd, path));
    return readAll(fd.get(), maxBytes).context("read '" + path + "'");
}

Result<std::string> readFile(const std::string& path, size_t maxBytes)
{
    return readFileAt(AT_FDCWD, path, maxBytes);
}

Result<void> writeAll(int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("write");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return ok();
}

Result<void> writeFileAtomic(const std::string& path, std::string_view data, mode_t mode)
{
    std::string tmp = path + ".tmp-" + randomHex(6);
    BERTH_TRY(UniqueFd fd, openPath(tmp, O_WRONLY | O_CREAT | O_EXCL, mode));
    auto written = writeAll(fd.get(), data);
    if (written && ::fsync(fd.get()) < 0) written = Error::fromErrno("fsync");
    if (!written) {
        ::unlink(tmp.c_str());
        return std::move(written).context("write '" + tmp + "'");
    }
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return Error::fromErrno("rename '" + tmp + "' to '" + path + "'", err);
    }
    return ok();
}

Result<void> makeDirectories(const std::string& path, mode_t mode)
{
    if (path.empty()) return ok();
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return Error("'" + path + "' exists and is not a directory", ENOTDIR);
        return ok();
    }
    auto slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0)
        BERTH_CHECK(makeDirectories(path.substr(0, slash), mode));
    if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST)
        return Error::fromErrno("mkdir '" + path + "'");
    return ok();
}

bool pathExists(const std::string& path)
{
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

namespace
{

// What removing one entry of a tree does: unlink what is not a directory,
// walk into what is. A directory is first made ours to list (mode 0700), as
// a mode-0 one (overlayfs's work/work) cannot be opened.
Result<TreeWalk::Step> removeEntry(int dirFd, const std::string& name, unsigned char type)
{
    // A directory, as the listing says (most file systems do), is not first
    // tried with unlink(2): that fails with EISDIR on every one.
    int unlinkError = EISDIR;
    if (type != DT_DIR) {
        if (::unlinkat(dirFd, name.c_str(), 0) == 0 || errno == ENOENT) return TreeWalk::Step::Next;
        unlinkError = errno;
        if (unlinkError != EISDIR && unlinkError != EPERM)
            return Error::fromErrno("unlink '" + name + "'");
    }
    // EISDIR means a real directory (a symlink would have been unlinked, and
    // DT_DIR is never a symlink), which fchmodat may follow. After EPERM the
    // walk only tries to open it as a directory, never through a symlink.
    if (unlinkError == EISDIR) ::fchmodat(dirFd, name.c_str(), 0700, 0);
    return TreeWalk::Step::Descend;
}

Result<void> removeLeftDirectory(int parentFd, const std::string& name)
{
    if (::unlinkat(parentFd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        return Error::fromErrno("rmdir '" + name + "'");
    return ok();
}

} // namespace

Result<void> removeTreeAt(int dirFd, const std::string& name)
{
    if (::unlinkat(dirFd, name.c_str(), 0) == 0 || errno == ENOENT) return ok();
    if (errno == EISDIR) ::fchmodat(dirFd, name.c_str(), 0700, 0);
    int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return ok();
        return Error::fromErrno("open '" + name + "'");
    }
    {
        UniqueFd owned(fd);
        ::fchmod(fd, 0700);
        TreeWalk walk;
        walk.entry = removeEntry;
        walk.leave = removeLeftDirectory;
        walk.consumes = true;
        BERTH_CHECK(walkTree(fd, walk, name));
    }
    if (::unlinkat(dirFd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        return Error::fromErrno("rmdir '" + name + "'");
    return ok();
}

Result<void> removeTree(const std::string& path)
{
    return removeTreeAt(AT_FDCWD, path);
}

std::string randomHex(size_t bytes)
{
    std::string raw(bytes, '\0');
    size_t got = 0;
    while (got < bytes) {
        ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
        if (n <= 0) continue;
        got += static_cast<size_t>(n);
    }
    return hexEncode(raw);
}

} // namespace berth
