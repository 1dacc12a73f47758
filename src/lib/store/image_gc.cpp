#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/store/file_lock.hpp>
#include <berth/store/image_gc.hpp>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

// Names in a directory (no "." or ".."); a missing directory has none.
std::vector<std::string> entriesOf(int dirFd)
{
    std::vector<std::string> out;
    int dup = ::dup(dirFd);
    if (dup < 0) return out;
    DIR* dir = ::fdopendir(dup);
    if (!dir) {
        ::close(dup);
        return out;
    }
    while (dirent* e = ::readdir(dir)) {
        std::string_view name = e->d_name;
        if (name != "." && name != "..") out.emplace_back(name);
    }
    ::closedir(dir);
    return out;
}

// Bytes below a directory we may read (best effort: what cannot be read
// counts as nothing, and a report never fails for it).
int64_t bytesBelow(int dirFd, int depth = 0)
{
    if (depth > 256) return 0;
    int64_t total = 0;
    for (const auto& name : entriesOf(dirFd)) {
        struct stat st;
        if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        total += st.st_size;
        if (S_ISDIR(st.st_mode)) {
            int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) continue;
            UniqueFd owned(fd);
            total += bytesBelow(fd, depth + 1);
        }
    }
    return total;
}

int64_t sizeAt(int dirFd, const std::string& name)
{
    struct stat st;
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return 0;
    if (!S_ISDIR(st.st_mode)) return st.st_size;
    int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    UniqueFd owned(fd);
    return bytesBelow(fd);
}

} // namespace

ImageReferences imageReferences(const std::vector<ImageRecord>& images,
                                const std::vector<std::string>& extraBlobs)
{
    ImageReferences refs;
    for (const auto& image : images) {
        if (image.manifestDigest) refs.blobs.insert(image.manifestDigest->str());
        if (image.configDigest) refs.blobs.insert(image.configDigest->str());
        for (const auto& layer : image.layers) {
            refs.blobs.insert(layer.blob.str());
            refs.diffIds.insert(layer.diffId.str());
        }
    }
    refs.blobs.insert(extraBlobs.begin(), extraBlobs.end());
    return refs;
}

Result<GcReport> collectBlobs(Store& store, const ImageReferences& references, bool dryRun)
{
    GcReport report;
    for (const char* algorithm : {"sha256", "sha512"}) {
        std::string dir = store.path(std::string("blobs/") + algorithm);
        auto dirFd = openDirectory(dir);
        if (!dirFd) continue;
        for (const auto& name : entriesOf(dirFd->get())) {
            // Anything that does not parse as a digest is not ours to judge.
            auto digest = Digest::parse(std::string(algorithm) + ":" + name);
            if (!digest || references.blobs.count(digest->str())) continue;
            int64_t bytes = sizeAt(dirFd->get(), name);
            if (!dryRun && ::unlinkat(dirFd->get(), name.c_str(), 0) < 0) {
                if (errno == ENOENT) continue;
                return Error::fromErrno("remove blob '" + dir + "/" + name + "'");
            }
            report.count++;
            report.bytes += bytes;
        }
    }
    return report;
}

Result<GcReport> collectStaging(Store& store, bool dryRun)
{
    GcReport report;
    auto tmp = openDirectory(store.path("tmp"));
    if (!tmp) return report;
    for (const auto& name : entriesOf(tmp->get())) {
        if (name.starts_with("partial-")) {
            // partial-ALG-HEX is written under the lock fetch-ALG-HEX.lock.
            std::string lockName = "fetch-" + name.substr(8) + ".lock";
            BERTH_TRY(FileLock lock,
                      FileLock::tryAcquire(tmp->get(), lockName, FileLock::Mode::Exclusive));
            if (!lock.isHeld()) continue;
            int64_t bytes = sizeAt(tmp->get(), name);
            if (!dryRun && ::unlinkat(tmp->get(), name.c_str(), 0) < 0) {
                if (errno == ENOENT) continue;
                return Error::fromErrno("remove '" + store.path("tmp/" + name) + "'");
            }
            report.count++;
            report.bytes += bytes;
        }
    }
    BERTH_TRY(GcReport stages, collectAbandonedStagingDirs(store, dryRun));
    report += stages;
    return report;
}

Result<GcReport> collectAbandonedStagingDirs(Store& store, bool dryRun)
{
    GcReport report;
    auto tmp = openDirectory(store.path("tmp"));
    if (!tmp) return report;
    for (const auto& name : entriesOf(tmp->get())) {
        if (!name.starts_with("fetch-stage-")) continue;
        // A running fetch holds its staging dir's flock until it removes it.
        int fd =
            ::openat(tmp->get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        UniqueFd owned(fd);
        if (::flock(fd, LOCK_EX | LOCK_NB) < 0) continue;
        int64_t bytes = bytesBelow(fd);
        if (!dryRun) BERTH_CHECK(removeTreeAt(tmp->get(), name));
        report.count++;
        report.bytes += bytes;
    }
    return report;
}

} // namespace berth
