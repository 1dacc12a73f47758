#include "tree_writer.hpp"

#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace berth
{

namespace
{

bool isOverlayXattr(const std::string& name)
{
    return name.starts_with("user.overlay.") || name.starts_with("trusted.overlay.");
}

Result<void> setTimes(int dirFd, const char* name, const EntryMeta& meta, int flags)
{
    if (!meta.hasMtime) return ok();
    timespec times[2] = {meta.mtime, meta.mtime};
    int r = name[0] ? ::utimensat(dirFd, name, times, flags) : ::futimens(dirFd, times);
    if (r < 0 && errno != EOPNOTSUPP) return Error::fromErrno("set times");
    return ok();
}

std::string quoted(const TreePath& path)
{
    return "'" + path.str() + "'";
}

} // namespace

TreeWriter::TreeWriter(int rootFd, const ExtractOptions& options)
    : rootFd_(rootFd), options_(options)
{
}

Result<int> TreeWriter::parentOf(const TreePath& path)
{
    TreePath parent = path.parent();
    std::string key = parent.str();
    if (cachedParentFd_ && !cachedParent_.empty() && key == cachedParent_)
        return cachedParentFd_.get();
    BERTH_TRY(UniqueFd fd, openTreeDirectory(rootFd_, parent, true));
    cachedParentFd_ = std::move(fd);
    cachedParent_ = key;
    return cachedParentFd_.get();
}

void TreeWriter::touch(const TreePath& path)
{
    std::string s;
    for (const auto& c : path.components) {
        s += s.empty() ? c : "/" + c;
        touched_.insert(s);
    }
}

Result<bool> TreeWriter::clearSlot(int parentFd, const TreePath& path, bool newIsDirectory)
{
    struct stat st;
    const char* name = path.name().c_str();
    if (::fstatat(parentFd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return false;
        return Error::fromErrno("stat " + quoted(path));
    }
    if (S_ISDIR(st.st_mode)) {
        if (newIsDirectory) return true;
        // A cached parent below this directory would now be stale.
        forgetParents();
        BERTH_CHECK(removeTreeAt(parentFd, name).context("replace " + quoted(path)));
        return false;
    }
    if (S_ISLNK(st.st_mode)) forgetParents();
    if (::unlinkat(parentFd, name, 0) < 0 && errno != ENOENT)
        return Error::fromErrno("replace " + quoted(path));
    return false;
}

Result<void> TreeWriter::chownEntry(int fd, const char* name, const EntryMeta& meta)
{
    if (meta.uid == 0 && meta.gid == 0) return ok(); // we create as (container) root already
    if (options_.ownership == Ownership::Squash) {
        ++stats_.squashedOwners;
        return ok();
    }
    int flags = name[0] ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;
    if (::fchownat(fd, name, meta.uid, meta.gid, flags) == 0) return ok();
    // EINVAL: the id is outside our user namespace's map. Keep the file,
    // owned by container root, and count it for one warning.
    if (errno != EINVAL)
        return Error::fromErrno("chown to " + std::to_string(meta.uid) + ":" +
                                std::to_string(meta.gid));
    ++stats_.squashedOwners;
    return ok();
}

Result<void> TreeWriter::setXattrs(int fd, const EntryMeta& meta, const TreePath& path)
{
    for (const auto& [name, value] : meta.xattrs) {
        // overlayfs reads these on lower layers: a layer must not forge
        // opaque markers or redirects of its own.
        if (isOverlayXattr(name)) {
            logDebug("{}: overlay xattr {} ignored", path.str(), name);
            continue;
        }
        if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) == 0) continue;
        if (errno == ENOTSUP || errno == EPERM || errno == EACCES) {
            logDebug("{}: xattr {} not set: {}", path.str(), name, std::strerror(errno));
            continue;
        }
        return Error::fromErrno("set xattr '" + name + "' on " + quoted(path));
    }
    return ok();
}

Result<UniqueFd> TreeWriter::createFile(const TreePath& path, const EntryMeta& meta)
{
    if (path.isRoot()) return Error("a regular file cannot replace the root directory");
    BERTH_TRY(int parent, parentOf(path));
    // O_EXCL: never opens what is there, not even through a symlink.
    auto create = [&] {
        return ::openat(parent, path.name().c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, meta.mode & 0777);
    };
    int fd = create();
    if (fd < 0 && errno == EEXIST) {
        BERTH_CHECK(clearSlot(parent, path, false));
        fd = create();
    }
    if (fd < 0) return Error::fromErrno("create " + quoted(path));
    touch(path);
    return UniqueFd(fd);
}

Result<void> TreeWriter::finishFile(int fd, const EntryMeta& meta)
{
    BERTH_CHECK(chownEntry(fd, "", meta));
    // After chown, which clears setuid/setgid.
    if ((meta.mode & 07000) && ::fchmod(fd, meta.mode & 07777) < 0)
        return Error::fromErrno("chmod");
    BERTH_CHECK(setXattrs(fd, meta, TreePath{}));
    return setTimes(fd, "", meta, AT_EMPTY_PATH);
}

Result<void> TreeWriter::makeDirectory(const TreePath& path, const EntryMeta& meta)
{
    if (!path.isRoot()) {
        BERTH_TRY(int parent, parentOf(path));
        const char* name = path.name().c_str();
        if (::mkdirat(parent, name, 0755) < 0) {
            if (errno != EEXIST) return Error::fromErrno("mkdir " + quoted(path));
            BERTH_TRY(bool kept, clearSlot(parent, path, true));
            if (!kept && ::mkdirat(parent, name, 0755) < 0)
                return Error::fromErrno("mkdir " + quoted(path));
        }
    }
    touch(path);
    std::string key = path.str();
    if (auto it = directoryIndex_.find(key); it != directoryIndex_.end()) {
        directories_[it->second].second = meta;
        return ok();
    }
    directoryIndex_.emplace(key, directories_.size());
    directories_.emplace_back(path, meta);
    return ok();
}

Result<void> TreeWriter::makeSymlink(const TreePath& path, const std::string& target,
                                     const EntryMeta& meta)
{
    if (path.isRoot()) return Error("a symlink cannot replace the root directory");
    BERTH_TRY(int parent, parentOf(path));
    const char* name = path.name().c_str();
    int r = ::symlinkat(target.c_str(), parent, name);
    if (r < 0 && errno == EEXIST) {
        BERTH_CHECK(clearSlot(parent, path, false));
        r = ::symlinkat(target.c_str(), parent, name);
    }
    if (r < 0) return Error::fromErrno("symlink " + quoted(path));
    touch(path);
    BERTH_CHECK(chownEntry(parent, name, meta));
    return setTimes(parent, name, meta, AT_SYMLINK_NOFOLLOW);
}

Result<void> TreeWriter::makeHardlink(const TreePath& path, const TreePath& target)
{
    if (path.isRoot() || target.isRoot())
        return Error("a hardlink cannot involve the root directory");
    // The target's directory is resolved like any other path: a link
    // through a symlink out of the tree fails here.
    BERTH_TRY(UniqueFd targetDir, openTreeDirectory(rootFd_, target.parent(), false)
                                      .context("hardlink target " + quoted(target)));
    struct stat st;
    if (::fstatat(targetDir.get(), target.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return Error::fromErrno("hardlink target " + quoted(target));
    if (S_ISDIR(st.st_mode))
        return Error("hardlink target " + quoted(target) + " is a directory (refused)");
    BERTH_TRY(int parent, parentOf(path));
    if (target.str() == path.str()) return ok();
    // flags 0: linkat does not follow a symlink in the target's last part.
    auto link = [&] {
        return ::linkat(targetDir.get(), target.name().c_str(), parent, path.name().c_str(), 0);
    };
    int r = link();
    if (r < 0 && errno == EEXIST) {
        BERTH_CHECK(clearSlot(parent, path, false));
        r = link();
    }
    if (r < 0) return Error::fromErrno("hardlink " + quoted(path) + " to " + quoted(target));
    touch(path);
    return ok();
}

Result<void> TreeWriter::makeNode(const TreePath& path, mode_t type, dev_t device,
                                  const EntryMeta& meta)
{
    if (path.isRoot()) return Error("a special file cannot replace the root directory");
    BERTH_TRY(int parent, parentOf(path));
    const char* name = path.name().c_str();
    int r = ::mknodat(parent, name, type | (meta.mode & 07777), device);
    if (r < 0 && errno == EEXIST) {
        BERTH_CHECK(clearSlot(parent, path, false));
        r = ::mknodat(parent, name, type | (meta.mode & 07777), device);
    }
    if (r < 0) {
        if ((errno == EPERM || errno == EACCES) && type != S_IFIFO) {
            // Rootless: the kernel allows no device nodes in a user
            // namespace; the runtime binds the usual ones into /dev.
            logDebug("device node {} ({}:{}) skipped: not permitted here", path.str(),
                     major(device), minor(device));
            ++stats_.skippedDevices;
            return ok();
        }
        return Error::fromErrno("mknod " + quoted(path));
    }
    touch(path);
    BERTH_CHECK(chownEntry(parent, name, meta));
    if ((meta.mode & 07000) && ::fchmodat(parent, name, meta.mode & 07777, 0) < 0)
        return Error::fromErrno("chmod " + quoted(path));
    return setTimes(parent, name, meta, AT_SYMLINK_NOFOLLOW);
}

Result<void> TreeWriter::whiteout(const TreePath& victim)
{
    if (options_.mode == LayerMode::Overlay) {
        BERTH_TRY(int parent, parentOf(victim));
        struct stat st;
        const char* name = victim.name().c_str();
        // Present in this same layer: a whiteout only hides lower layers.
        if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0) return ok();
        // Unprivileged users may make 0/0 character devices since Linux 5.8,
        // exactly so that overlay whiteouts can be written rootless.
        if (::mknodat(parent, name, S_IFCHR, makedev(0, 0)) < 0)
            return Error::fromErrno("create overlay whiteout " + quoted(victim));
        return ok();
    }
    if (touched_.count(victim.str())) return ok();
    auto parent = openTreeDirectory(rootFd_, victim.parent(), false);
    if (!parent) {
        if (parent.error().errnum() == ENOENT || parent.error().errnum() == ENOTDIR)
            return ok(); // nothing there to hide
        return std::move(parent).error();
    }
    forgetParents();
    return removeTreeAt(parent->get(), victim.name()).context("whiteout " + quoted(victim));
}

Result<void> TreeWriter::removeLower(int dirFd, const TreePath& dir, int depth)
{
    if (depth > 4096) return Error(quoted(dir) + " is nested too deeply", ELOOP);
    int dup = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup < 0) return Error::fromErrno("open " + quoted(dir));
    DIR* listing = ::fdopendir(dup);
    if (!listing) {
        ::close(dup);
        return Error::fromErrno("list " + quoted(dir));
    }
    std::vector<std::pair<std::string, bool>> children;
    while (dirent* e = ::readdir(listing)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") children.emplace_back(name, e->d_type == DT_DIR);
    }
    ::closedir(listing);
    for (const auto& [name, isDir] : children) {
        TreePath child = dir.child(name);
        if (!touched_.count(child.str())) {
            BERTH_CHECK(removeTreeAt(dirFd, name).context("opaque " + quoted(dir)));
            continue;
        }
        if (!isDir) continue;
        int sub = ::openat(dirFd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) continue; // not a directory after all (DT_UNKNOWN filesystems)
        UniqueFd owned(sub);
        BERTH_CHECK(removeLower(sub, child, depth + 1));
    }
    return ok();
}

Result<void> TreeWriter::opaque(const TreePath& dir)
{
    if (options_.mode == LayerMode::Overlay) {
        BERTH_TRY(UniqueFd pathFd, openTreeDirectory(rootFd_, dir, true));
        int fd = ::openat(pathFd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return Error::fromErrno("open " + quoted(dir));
        UniqueFd owned(fd);
        touch(dir);
        if (::fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) < 0)
            return Error::fromErrno("mark " + quoted(dir) + " opaque (user.overlay.opaque)");
        if (options_.trustedOverlayXattrs &&
            ::fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return Error::fromErrno("mark " + quoted(dir) + " opaque (trusted.overlay.opaque)");
        return ok();
    }
    auto fd = openTreeDirectory(rootFd_, dir, false);
    if (!fd) {
        if (fd.error().errnum() == ENOENT) return ok();
        return std::move(fd).error();
    }
    forgetParents();
    return removeLower(fd->get(), dir, 0);
}

Result<void> TreeWriter::finish()
{
    forgetParents();
    // Deepest first: children's metadata never changes a parent's mtime,
    // but a read-only parent would stop us from touching its children.
    for (auto it = directories_.rbegin(); it != directories_.rend(); ++it) {
        const auto& [path, meta] = *it;
        auto pathFd = openTreeDirectory(rootFd_, path, false);
        if (!pathFd) continue; // replaced or whited out later in the layer
        int fd = ::openat(pathFd->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return Error::fromErrno("open " + quoted(path));
        UniqueFd owned(fd);
        BERTH_CHECK(chownEntry(fd, "", meta).context(quoted(path)));
        BERTH_CHECK(setXattrs(fd, meta, path));
        if (::fchmod(fd, meta.mode & 07777) < 0) return Error::fromErrno("chmod " + quoted(path));
        BERTH_CHECK(setTimes(fd, "", meta, AT_EMPTY_PATH).context(quoted(path)));
    }
    return ok();
}

} // namespace berth
