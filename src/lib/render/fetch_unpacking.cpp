#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/render/container_root.hpp>
#include <berth/render/fetch_unpacking.hpp>
#include <berth/store/file_lock.hpp>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <vector>

namespace berth
{

namespace
{

// Removes the trees a render that died left half-built
// (trees/KEY.tmp-RANDOM). A live render holds KEY.lock while it builds one,
// so a tree whose lock is free is no one's work.
void sweepAbandonedTrees(Store& store, const IdMap& idMap)
{
    std::string dir = store.privatePath("trees");
    auto fd = openDirectory(dir);
    if (!fd) return;
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name.find(".tmp-") != std::string::npos) names.push_back(name);
        }
        ::closedir(d);
    }
    for (const auto& name : names) {
        std::string key = name.substr(0, name.find(".tmp-"));
        auto lock = FileLock::tryAcquire(fd->get(), key + ".lock", FileLock::Mode::Exclusive);
        if (!lock || !lock->isHeld()) continue;
        auto removed = removeTreeAsContainerRoot(idMap, dir + "/" + name);
        if (removed)
            logDebug("removed trees/{}, left by a berth that is gone", name);
        else
            logDebug("cannot remove trees/{}: {}", name, removed.error().message());
    }
}

} // namespace

LayerUnpacking unpackIntoTreeCache(Store& store, RenderOptions options)
{
    LayerUnpacking unpacking;
    // A tree already cached is not unpacked again, so its download must
    // check the diff_id itself. A tree another berth adds meanwhile was
    // checked against the same diff_id when it was unpacked.
    unpacking.willUnpack = [&store, kind = options.idMap.kind](const Digest& diffId) {
        return !layerTreeCached(AT_FDCWD, store.privatePath("trees/" + layerTreeKey(diffId, kind)));
    };
    unpacking.unpack = [&store,
                        options = std::move(options)](const ImageRecord& image) -> Result<void> {
        sweepAbandonedTrees(store, options.idMap);
        auto trees = prepareLayerTrees(store, image, options);
        if (!trees) return std::move(trees).error();
        return ok();
    };
    return unpacking;
}

} // namespace berth
