#include <berth/base/file.hpp>
#include <berth/base/regular_file.hpp>
#include <fcntl.h>
#include <sys/stat.h>

namespace berth
{

const char* fileKindName(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "a regular file";
    case S_IFDIR:
        return "a directory";
    case S_IFIFO:
        return "a FIFO";
    case S_IFSOCK:
        return "a socket";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFLNK:
        return "a symbolic link";
    }
    return "not a file";
}

Result<UniqueFd> openRegularFileAt(int dirFd, const std::string& path)
{
    BERTH_TRY(UniqueFd fd, openAt(dirFd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::fromErrno("stat '" + path + "'");
    if (!S_ISREG(st.st_mode))
        return Error("'" + path + "' is " + fileKindName(st.st_mode) + ", not a regular file");
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) < 0)
        return Error::fromErrno("fcntl '" + path + "'");
    return fd;
}

Result<UniqueFd> openRegularFile(const std::string& path)
{
    return openRegularFileAt(AT_FDCWD, path);
}

} // namespace berth
