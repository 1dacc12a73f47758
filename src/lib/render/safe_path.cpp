#include "config.h"

#include <berth/render/safe_path.hpp>
#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace berth
{

namespace
{

// -1 with errno ENOSYS once the kernel has said it has no openat2.
bool haveOpenat2 = true;

int openBeneath(int rootFd, const std::string& path)
{
    if (haveOpenat2) {
        open_how how{};
        how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        int fd = static_cast<int>(::syscall(SYS_openat2, rootFd, path.c_str(), &how, sizeof how));
        if (fd >= 0 || errno != ENOSYS) return fd;
        haveOpenat2 = false;
    }
    // Fallback walk: every component opened with O_NOFOLLOW, so a symlink
    // anywhere on the way fails (ELOOP/ENOTDIR); we report that as EXDEV.
    int current = ::fcntl(rootFd, F_DUPFD_CLOEXEC, 0);
    if (current < 0) return -1;
    size_t start = 0;
    while (start < path.size()) {
        size_t slash = path.find('/', start);
        std::string part =
            path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        start = slash == std::string::npos ? path.size() : slash + 1;
        int next = ::openat(current, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        if (next < 0) {
            struct stat st;
            if ((err == ENOTDIR || err == ELOOP) &&
                ::fstatat(current, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                err = EXDEV;
            ::close(current);
            errno = err;
            return -1;
        }
        ::close(current);
        current = next;
    }
    return current;
}

Error resolveError(const std::string& path, int err)
{
    switch (err) {
    case EXDEV:
        return Error("'" + path + "' leads out of the tree through a symlink (refused)");
    case ELOOP:
        return Error("'" + path + "' has too many levels of symlinks (refused)");
    case ENOTDIR:
        return Error("'" + path + "' has a component that is not a directory", ENOTDIR);
    default:
        return Error::fromErrno("open '" + path + "'", err);
    }
}

} // namespace

TreePath TreePath::parent() const
{
    TreePath p;
    if (!components.empty()) p.components.assign(components.begin(), components.end() - 1);
    return p;
}

TreePath TreePath::child(std::string name) const
{
    TreePath p = *this;
    p.components.push_back(std::move(name));
    return p;
}

std::string TreePath::str() const
{
    if (components.empty()) return ".";
    std::string s;
    for (const auto& c : components) {
        if (!s.empty()) s += '/';
        s += c;
    }
    return s;
}

Result<TreePath> parseTreePath(std::string_view name, size_t maxLength)
{
    if (name.size() > maxLength)
        return Error("path is longer than the limit of " + std::to_string(maxLength) +
                     " bytes (refused)");
    if (name.empty()) return Error("empty path (refused)");
    if (name.front() == '/') return Error("absolute path (refused)");
    TreePath path;
    size_t start = 0;
    while (start <= name.size()) {
        size_t slash = name.find('/', start);
        if (slash == std::string_view::npos) slash = name.size();
        std::string_view part = name.substr(start, slash - start);
        start = slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") return Error("path has a '..' component (refused)");
        if (part.size() > 255) return Error("path component is longer than 255 bytes (refused)");
        if (part.find('\0') != std::string_view::npos)
            return Error("path has a NUL byte (refused)");
        path.components.emplace_back(part);
    }
    return path;
}

Result<UniqueFd> openTreeDirectory(int rootFd, const TreePath& path, bool create)
{
    if (path.isRoot()) {
        int fd = ::openat(rootFd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return Error::fromErrno("open tree root");
        return UniqueFd(fd);
    }
    std::string full = path.str();
    int fd = openBeneath(rootFd, full);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT || !create) return resolveError(full, errno);
    // Make what is missing, one component at a time, each step resolved
    // from the root again so that no step can leave it.
    UniqueFd parent;
    {
        int r = ::openat(rootFd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r < 0) return Error::fromErrno("open tree root");
        parent = UniqueFd(r);
    }
    std::string prefix;
    for (const auto& part : path.components) {
        prefix += prefix.empty() ? part : "/" + part;
        int next = openBeneath(rootFd, prefix);
        if (next < 0 && errno == ENOENT) {
            if (::mkdirat(parent.get(), part.c_str(), 0755) < 0 && errno != EEXIST)
                return Error::fromErrno("mkdir '" + prefix + "'");
            next = openBeneath(rootFd, prefix);
        }
        if (next < 0) return resolveError(prefix, errno);
        parent = UniqueFd(next);
    }
    return parent;
}

} // namespace berth
