#include "rootfs_scaffold.hpp"

#include "child_files.hpp"

#include <cerrno>
#include <climits>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace berth
{

namespace
{

// The top-level names the pod mounts on, or binds files into (etc).
constexpr std::string_view kScaffoldNames[] = {"dev", "proc", "sys", "etc"};

enum class Entry { Absent, Directory, Other };

// What the merged layers show at the top-level `name`: the topmost layer
// that has it decides, and a whiteout (a 0/0 character device) there hides
// it. A directory's attributes go to `st`.
Entry topLevelEntry(const RootfsPlan& rootfs, std::string_view name, struct stat& st)
{
    for (const auto& dir : rootfs.lowerDirs) {
        char path[PATH_MAX];
        if (!joinPath(path, dir, name)) return Entry::Other;
        if (::lstat(path, &st) < 0) {
            if (errno == ENOENT || errno == ENOTDIR) continue;
            return Entry::Other;
        }
        if (S_ISDIR(st.st_mode)) return Entry::Directory;
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return Entry::Absent;
        return Entry::Other;
    }
    return Entry::Absent;
}

} // namespace

ChildError buildRootfsScaffold(const PreparedPod& pod, const PreparedApp& app)
{
    const char* scaffold = app.scaffoldDir.c_str();
    if (::mkdir(scaffold, 0755) < 0) return childFailure("create", scaffold);
    for (std::string_view name : kScaffoldNames) {
        struct stat st;
        Entry entry = topLevelEntry(app.plan->rootfs, name, st);
        if (entry == Entry::Other) continue;
        char path[PATH_MAX];
        if (!joinPath(path, app.scaffoldDir, name))
            return ChildError{"scaffold path too long", scaffold, ENAMETOOLONG};
        if (::mkdir(path, 0755) < 0) return childFailure("create a directory in", scaffold);
        // The merged directory shows the topmost layer's attributes: the
        // image's, as without the scaffold.
        if (entry == Entry::Directory &&
            (::chown(path, st.st_uid, st.st_gid) < 0 || ::chmod(path, st.st_mode & 07777) < 0))
            return childFailure("copy the image's owner and mode into", scaffold);
        if (name != "etc") continue;
        // With a writable root the files themselves go here, and the app
        // sees them through the overlay with nothing bound: a write goes to
        // its upper directory, and a tool may replace them (rename over a
        // bind mount fails with EBUSY). A read-only root gets empty mount
        // points, and the files are bound writable over them.
        bool withContent = !app.plan->rootfs.readOnly;
        for (const PodFile& file : pod.plan->etcFiles) {
            char filePath[PATH_MAX];
            if (!joinPath(filePath, path, file.name))
                return ChildError{"scaffold path too long", scaffold, ENAMETOOLONG};
            if (!writeNewFile(filePath,
                              withContent ? std::string_view(file.content) : std::string_view()))
                return childFailure("create a file in", scaffold);
        }
    }
    return {};
}

ChildError dropRootfsScaffold(const PreparedPod& pod, const PreparedApp& app)
{
    const char* scaffold = app.scaffoldDir.c_str();
    char etc[PATH_MAX];
    char path[PATH_MAX];
    if (joinPath(etc, app.scaffoldDir, "etc"))
        for (const PodFile& file : pod.plan->etcFiles)
            if (joinPath(path, etc, file.name) && ::unlink(path) < 0 && errno != ENOENT)
                return childFailure("remove a file from", scaffold);
    for (std::string_view name : kScaffoldNames)
        if (joinPath(path, app.scaffoldDir, name) && ::rmdir(path) < 0 && errno != ENOENT)
            return childFailure("remove a directory from", scaffold);
    if (::rmdir(scaffold) < 0 && errno != ENOENT) return childFailure("remove", scaffold);
    return {};
}

} // namespace berth
