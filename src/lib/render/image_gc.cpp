#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/base/tree_walk.hpp>
#include <berth/render/container_root.hpp>
#include <berth/render/image_gc.hpp>
#include <berth/render/render.hpp>
#include <berth/store/file_lock.hpp>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

// Bytes below the directory dirFd that we can see from outside the user
// namespace (a best-effort count: directories owned by subordinate ids with
// no read permission for others count as empty). However deep the tree.
int64_t treeBytes(int dirFd)
{
    int64_t total = 0;
    TreeWalk walk;
    walk.skipUnopenable = true;
    walk.entry = [&total](int parentFd, const std::string& name,
                          unsigned char) -> Result<TreeWalk::Step> {
        struct stat st;
        if (::fstatat(parentFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
            return TreeWalk::Step::Next;
        total += st.st_size;
        return S_ISDIR(st.st_mode) ? TreeWalk::Step::Descend : TreeWalk::Step::Next;
    };
    (void)walkTree(dirFd, walk, "tree");
    return total;
}

// Which tree each entry of trees/ is: "KEY", "KEY.tmp-RANDOM" (a render
// that died, or one under way), or something else (KEY.lock: kept).
std::string treeKeyOf(const std::string& name, bool* isTmp)
{
    *isTmp = false;
    if (name.ends_with(".lock")) return "";
    if (auto at = name.find(".tmp-"); at != std::string::npos) {
        *isTmp = true;
        return name.substr(0, at);
    }
    return name;
}

Result<GcReport> collectTrees(Store& store, const ImageReferences& refs,
                              const ImageGcOptions& options)
{
    GcReport report;
    std::string treesDir = store.privatePath("trees");
    auto treesFd = openDirectory(treesDir);
    if (!treesFd) return report;
    std::set<std::string> keep(options.keepTrees.begin(), options.keepTrees.end());
    for (const auto& diffId : refs.diffIds)
        if (auto d = Digest::parse(diffId))
            for (auto kind : {IdMap::Kind::Subordinate, IdMap::Kind::KeepId})
                keep.insert(layerTreeKey(*d, kind));

    std::vector<std::string> names;
    if (DIR* dir = ::opendir(treesDir.c_str())) {
        while (dirent* e = ::readdir(dir)) {
            std::string name = e->d_name;
            if (name != "." && name != "..") names.push_back(name);
        }
        ::closedir(dir);
    }
    for (const auto& name : names) {
        bool isTmp = false;
        std::string key = treeKeyOf(name, &isTmp);
        if (key.empty() || (!isTmp && keep.count(key))) continue;
        struct stat st;
        if (::fstatat(treesFd->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        // A render of this layer holds KEY.lock while it builds KEY.tmp-*.
        BERTH_TRY(FileLock lock,
                  FileLock::tryAcquire(treesFd->get(), key + ".lock", FileLock::Mode::Exclusive));
        if (!lock.isHeld()) continue;
        int64_t bytes = 0;
        if (int fd = ::openat(treesFd->get(), name.c_str(),
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            fd >= 0) {
            UniqueFd owned(fd);
            bytes = treeBytes(fd);
        }
        if (!options.dryRun)
            BERTH_CHECK(removeTreeAsContainerRoot(options.idMap, treesDir + "/" + name));
        report.count++;
        report.bytes += bytes;
    }
    return report;
}

} // namespace

Result<ImageGcResult> collectImageGarbage(Store& store, const ImageGcOptions& options)
{
    // Exclusive: imports and fetches hold it shared from their first
    // committed blob until the index names the image.
    BERTH_TRY(FileLock lock, store.lock(FileLock::Mode::Exclusive));
    BERTH_TRY(auto images, store.index().list());
    ImageReferences refs = imageReferences(images, options.keepBlobs);
    ImageGcResult result;
    if (options.collectShared) {
        BERTH_TRY(result.blobs, collectBlobs(store, refs, options.dryRun));
        BERTH_TRY(result.staging, collectStaging(store, options.dryRun));
    }
    BERTH_TRY(result.trees, collectTrees(store, refs, options));
    return result;
}

} // namespace berth
