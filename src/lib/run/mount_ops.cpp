#include "mount_ops.hpp"

#include "app_process.hpp"
#include "child_files.hpp"
#include "rootfs_scaffold.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth
{

namespace
{

// Resolves `path` with the app root as "/" so that no symlink in the image
// can send a mount outside it.
int openInRoot(int rootFd, const char* path, int flags)
{
    if (path[0] == '\0') return ::fcntl(rootFd, F_DUPFD_CLOEXEC, 0);
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, rootFd, path, &how, sizeof how));
}

// Makes the last component of `path`, a directory or (with `directory`
// false) an empty file, in its parent resolved inside the root (the root
// itself when `nameAt` is 0), and opens it as O_PATH. An entry already there
// is opened as it is.
int makeLastAndOpen(int rootFd, char* path, size_t nameAt, bool directory)
{
    int parentFd;
    if (nameAt == 0) {
        parentFd = ::fcntl(rootFd, F_DUPFD_CLOEXEC, 0);
    } else {
        path[nameAt - 1] = '\0';
        parentFd = openInRoot(rootFd, path, O_PATH | O_DIRECTORY);
        path[nameAt - 1] = '/';
    }
    if (parentFd < 0) return -1;
    const char* name = path + nameAt;
    int rc;
    if (directory) {
        rc = ::mkdirat(parentFd, name, 0755);
    } else {
        rc = ::openat(parentFd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rc >= 0) ::close(rc);
    }
    int saveErrno = errno;
    ::close(parentFd);
    if (rc < 0 && saveErrno != EEXIST) {
        errno = saveErrno;
        return -1;
    }
    return openInRoot(rootFd, path, O_PATH);
}

// Opens `path` inside the root as O_PATH, creating missing directories and
// (when `directory` is false) the last component as an empty file.
int openOrCreate(int rootFd, const char* path, bool directory)
{
    int fd = openInRoot(rootFd, path, O_PATH);
    if (fd >= 0 || errno != ENOENT) return fd;
    char buf[PATH_MAX];
    size_t len = ::strnlen(path, sizeof buf);
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    std::memcpy(buf, path, len + 1);
    // Usually only the last component is missing (a device node in /dev, a
    // mask's mount point): no need to walk the path from the root.
    if (const char* slash = std::strrchr(buf, '/'); slash && slash != buf && slash[1] != '\0') {
        fd = makeLastAndOpen(rootFd, buf, static_cast<size_t>(slash - buf) + 1, directory);
        if (fd >= 0 || errno != ENOENT) return fd;
    }
    size_t lastSlash = 0;
    bool haveSlash = false;
    for (size_t i = 1; i <= len; ++i) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char saved = buf[i];
        bool last = saved == '\0';
        buf[i] = '\0';
        int cur = openInRoot(rootFd, buf, O_PATH);
        if (cur < 0 && errno == ENOENT)
            cur = makeLastAndOpen(rootFd, buf, haveSlash ? lastSlash + 1 : 0, directory || !last);
        buf[i] = saved;
        if (cur < 0) return -1;
        if (last) return cur;
        ::close(cur);
        lastSlash = i;
        haveSlash = true;
    }
    errno = ENOENT;
    return -1;
}

struct FdPath {
    char text[32];
    explicit FdPath(int fd)
    {
        std::memcpy(text, "/proc/self/fd/", 14);
        formatDecimal(text + 14, sizeof text - 14, fd);
    }
};

class Fd
{
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd()
    {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// mount_setattr makes a whole tree read-only without having to repeat the
// flags the kernel locked when the mount crossed into our user namespace.
int makeReadOnly(int rootFd, const char* target)
{
    int fd = openInRoot(rootFd, target, O_PATH);
    if (fd < 0) return -1;
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    int rc = static_cast<int>(
        ::syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr));
    int saveErrno = errno;
    ::close(fd);
    errno = saveErrno;
    return rc;
}

ChildError mountFilesystem(int rootFd, const PreparedMount& m, const char* fstype,
                           const char* source)
{
    const MountOp& op = *m.op;
    Fd target(openOrCreate(rootFd, m.target.c_str(), true));
    if (target.get() < 0) return childFailure("create mount point", op.destination.c_str());
    unsigned long flags = op.flags | (op.readOnly ? MS_RDONLY : 0);
    FdPath path(target.get());
    if (::mount(source, path.text, fstype, flags, op.data.empty() ? nullptr : op.data.c_str()) <
        0) {
        if (op.optional) return {};
        return childFailure(fstype[0] == 't'   ? "mount tmpfs on"
                            : fstype[0] == 'p' ? "mount proc on"
                            : fstype[0] == 'd' ? "mount devpts on"
                                               : "mount filesystem on",
                            op.destination.c_str());
    }
    return {};
}

ChildError bindMount(int rootFd, const PreparedMount& m, const char* source, bool directory)
{
    const MountOp& op = *m.op;
    Fd target(openOrCreate(rootFd, m.target.c_str(), directory));
    if (target.get() < 0) return childFailure("create mount point", op.destination.c_str());
    FdPath path(target.get());
    // A recursive bind: a volume keeps what is mounted below it.
    if (::mount(source, path.text, nullptr, MS_BIND | MS_REC, nullptr) < 0) {
        if (op.optional && errno == ENOENT) return {};
        return childFailure("bind mount on", op.destination.c_str());
    }
    if (op.readOnly && makeReadOnly(rootFd, m.target.c_str()) < 0)
        return childFailure("make read-only", op.destination.c_str());
    return {};
}

} // namespace

namespace
{

// The line of fuse-overlayfs's stderr that says why it failed: the first
// one that is not libfuse's chatter about options it ignores.
const char* fuseDiagnostic(int outputFd)
{
    static char text[512];
    ssize_t n = outputFd < 0 ? -1 : ::pread(outputFd, text, sizeof text - 1, 0);
    if (n <= 0) return nullptr;
    text[n] = '\0';
    char* line = text;
    while (*line) {
        char* end = line;
        while (*end && *end != '\n')
            ++end;
        bool last = *end == '\0';
        *end = '\0';
        static constexpr char kChatter[] = "unknown argument ignored";
        if (end > line && std::strncmp(line, kChatter, sizeof kChatter - 1) != 0) return line;
        if (last) break;
        line = end + 1;
    }
    return nullptr;
}

// fuse-overlayfs is exec'd in the pod's user and pid namespaces, so its
// memory belongs to the pod's user namespace and no non-dumpable flag keeps
// an app out: an app whose bounding set holds CAP_SYS_PTRACE, or every
// capability the daemon has, may open its /proc entries, and through its
// root, cwd and fds reach the host's filesystem. Such a pod is refused.
const AppPlan* appReachingFuseOverlay(const PreparedPod& pod)
{
    uint64_t every = pod.lastCapability >= 63 ? ~0ULL : (1ULL << (pod.lastCapability + 1)) - 1;
    constexpr uint64_t ptrace = 1ULL << 19; // CAP_SYS_PTRACE
    for (const auto& app : pod.apps) {
        uint64_t caps = app.plan->capabilities;
        if ((caps & ptrace) || (caps & every) == every) return app.plan;
    }
    return nullptr;
}

ChildError mountFuseOverlay(const PreparedPod& pod, const PreparedApp& app)
{
    if (const AppPlan* reaching = appReachingFuseOverlay(pod))
        return ChildError{"fuse-overlayfs in reach of app", reaching->name.c_str(), 0};
    // Said plainly here rather than as fuse-overlayfs's own words.
    if (::access("/dev/fuse", R_OK | W_OK) < 0)
        return childFailure("fuse-overlayfs needs read and write access to", "/dev/fuse");
    // fuse-overlayfs opens the layers by path as it goes, and pivot_root
    // moves the root of every process of the mount namespace, so the
    // daemon would lose the host's paths (and show an empty root) once the
    // pod pivots. It gets a mount namespace of its own instead, where those
    // paths stay; its mount reaches ours through the pod root, shared just
    // for this (one user namespace: the copy stays a peer, not a slave).
    if (::mount(nullptr, pod.podRoot.c_str(), nullptr, MS_SHARED, nullptr) < 0)
        return childFailure("share the pod root for fuse-overlayfs", pod.podRoot.c_str());
    // Its stderr is kept, and shown only if it fails: libfuse prints
    // chatter even when all is well.
    int output = static_cast<int>(::syscall(SYS_memfd_create, "fuse-overlayfs", MFD_CLOEXEC));
    // It runs as container root in the pod's user namespace: the layer
    // trees were rendered through the same id map, so the ids it reads are
    // already the container's and it needs no uidmapping/gidmapping of its
    // own. It daemonizes once the mount is up and dies with the pod's pid
    // namespace.
    pid_t pid = ::fork();
    if (pid < 0) {
        if (output >= 0) ::close(output);
        return childFailure("start fuse-overlayfs for", app.mountPoint.c_str());
    }
    if (pid == 0) {
        if (::unshare(CLONE_NEWNS) < 0) ::_exit(126);
        if (output >= 0) ::dup2(output, STDERR_FILENO);
        closeInheritedFdsOnExec();
        char* noEnv[] = {nullptr};
        ::execve(pod.fuseOverlayfs.c_str(), app.fuseArgv.data(), noEnv);
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    // Private again: nothing the pod mounts later may reach the daemon.
    if (::mount(nullptr, pod.podRoot.c_str(), nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
        if (output >= 0) ::close(output);
        return childFailure("make the pod root private", pod.podRoot.c_str());
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        const char* why = fuseDiagnostic(output);
        if (output >= 0) ::close(output);
        if (why) return ChildError{"fuse-overlayfs failed to mount the root filesystem", why, 0};
        errno = EIO;
        return childFailure("fuse-overlayfs failed to mount", app.mountPoint.c_str());
    }
    if (output >= 0) ::close(output);
    return {};
}

bool kernelRefusedOverlay(int err)
{
    return err == EPERM || err == EINVAL || err == ENODEV || err == EOPNOTSUPP;
}

} // namespace

ChildError mountAppRootfs(const PreparedPod& pod, const PreparedApp& app, int socketFd)
{
    if (::mkdir(app.mountPoint.c_str(), 0755) < 0 && errno != EEXIST)
        return childFailure("create", app.mountPoint.c_str());
    if (app.plan->rootfs.kind == RootfsPlan::Kind::FuseOverlay) return mountFuseOverlay(pod, app);
    if (ChildError e = buildRootfsScaffold(pod, app)) return e;
    // Kernel overlayfs in our user namespace: the layer trees stay shared and
    // untouched, writes go to the pod's upper dir. userxattr keeps overlay's
    // own metadata in user.overlay.* (trusted.* needs real root).
    if (::mount("overlay", app.mountPoint.c_str(), "overlay", 0, app.overlayData.c_str()) == 0)
        return {};
    ChildError refused = childFailure("mount overlay on", app.mountPoint.c_str());
    if (pod.fuseOverlayfs.empty() || !kernelRefusedOverlay(refused.errnum)) return refused;
    reportChildNotice(socketFd, ChildError{"kernel overlayfs refused, using fuse-overlayfs for",
                                           app.mountPoint.c_str(), refused.errnum});
    if (ChildError e = dropRootfsScaffold(pod, app)) return e;
    return mountFuseOverlay(pod, app);
}

ChildError executeMount(int rootFd, const PreparedMount& m, const PreparedPod& pod)
{
    const MountOp& op = *m.op;
    switch (op.kind) {
    case MountOp::Kind::Tmpfs:
        return mountFilesystem(rootFd, m, "tmpfs", "tmpfs");
    case MountOp::Kind::Proc:
        // A proc of the pod's own pid namespace: the apps see only the pod.
        return mountFilesystem(rootFd, m, "proc", "proc");
    case MountOp::Kind::Devpts:
        // newinstance: the pod's ptys are its own, not the host's.
        return mountFilesystem(rootFd, m, "devpts", "devpts");
    case MountOp::Kind::Mqueue:
        return mountFilesystem(rootFd, m, "mqueue", "mqueue");
    case MountOp::Kind::Sysfs: {
        // A fresh sysfs needs a network namespace of our own; with the host's
        // network we bind the host's /sys read-only instead.
        if (pod.plan->network != NetworkMode::Host) {
            Fd target(openOrCreate(rootFd, m.target.c_str(), true));
            if (target.get() < 0) return childFailure("create mount point", op.destination.c_str());
            FdPath path(target.get());
            if (::mount("sysfs", path.text, "sysfs", op.flags | MS_RDONLY, nullptr) == 0) return {};
        }
        return bindMount(rootFd, m, op.source.c_str(), true);
    }
    case MountOp::Kind::Bind:
        if (op.ownerUid >= 0) {
            // An appc empty volume: owned by the ids the volume asks for, as
            // seen inside the pod.
            if (::mkdir(op.source.c_str(), op.mode) < 0 && errno != EEXIST)
                return childFailure("create volume", op.source.c_str());
            if (::chown(op.source.c_str(), static_cast<uid_t>(op.ownerUid),
                        static_cast<gid_t>(op.ownerGid)) < 0 ||
                ::chmod(op.source.c_str(), op.mode) < 0)
                return childFailure("set owner of volume", op.source.c_str());
        }
        return bindMount(rootFd, m, op.source.c_str(), m.directory);
    case MountOp::Kind::Device:
        // Device nodes cannot be made in a user namespace; the host's are
        // bound instead.
        return bindMount(rootFd, m, op.source.c_str(), false);
    case MountOp::Kind::PodFile: {
        // Already in the app's root, through its scaffold.
        struct stat st;
        if (!m.inScaffold.empty() && ::lstat(m.inScaffold.c_str(), &st) == 0 && S_ISREG(st.st_mode))
            return {};
        // Written here only when bound; in a pod of several apps the first
        // to bind it writes it.
        if (!writeNewFile(op.source.c_str(), m.podFile->content) && errno != EEXIST)
            return childFailure("write the pod's /etc file", m.podFile->name.c_str());
        return bindMount(rootFd, m, op.source.c_str(), false);
    }
    case MountOp::Kind::MaskFile: {
        Fd target(openInRoot(rootFd, m.target.c_str(), O_PATH));
        if (target.get() < 0) return {}; // nothing to hide
        struct stat st;
        if (::fstat(target.get(), &st) < 0) return childFailure("stat", op.destination.c_str());
        FdPath path(target.get());
        int rc = S_ISDIR(st.st_mode)
                     ? ::mount("tmpfs", path.text, "tmpfs",
                               MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555")
                     : ::mount("/dev/null", path.text, nullptr, MS_BIND, nullptr);
        if (rc < 0) return childFailure("mask", op.destination.c_str());
        return {};
    }
    case MountOp::Kind::ReadOnly: {
        Fd target(openInRoot(rootFd, m.target.c_str(), O_PATH));
        if (target.get() < 0) return {};
        FdPath path(target.get());
        if (::mount(path.text, path.text, nullptr, MS_BIND | MS_REC, nullptr) < 0 ||
            makeReadOnly(rootFd, m.target.c_str()) < 0)
            return childFailure("make read-only", op.destination.c_str());
        return {};
    }
    case MountOp::Kind::Symlink: {
        Fd parent(openOrCreate(rootFd, m.parent.c_str(), true));
        if (parent.get() < 0) return childFailure("create directory for", op.destination.c_str());
        if (::symlinkat(op.source.c_str(), parent.get(), m.base.c_str()) < 0 && errno != EEXIST)
            return childFailure("create symlink", op.destination.c_str());
        return {};
    }
    }
    return {};
}

ChildError lockRootReadOnly(int rootFd, const PreparedApp& app)
{
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    // Only the root mount: /tmp, /dev and volumes below it stay writable.
    if (::syscall(SYS_mount_setattr, rootFd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return childFailure("make root filesystem read-only", app.mountPoint.c_str());
    return {};
}

} // namespace berth
