#include "apply_layers.hpp"
#include "layer_plan.hpp"

#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/render/container_root.hpp>
#include <berth/render/render.hpp>
#include <berth/store/file_lock.hpp>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>

namespace berth
{

namespace
{

// One layer into trees/KEY: built in trees/KEY.tmp-RANDOM and renamed into
// place when complete, under an flock on trees/KEY.lock so that concurrent
// preparers of the same layer unpack it once.
Result<void> prepareTree(Store& store, int treesFd, const PlannedLayer& layer,
                         const std::string& key, const RenderOptions& options)
{
    BERTH_TRY(FileLock lock, FileLock::acquire(treesFd, key + ".lock", FileLock::Mode::Exclusive));
    if (layerTreeCached(treesFd, key)) return ok(); // another preparer finished it while we waited
    std::string tmpName = key + ".tmp-" + randomHex(6);
    std::string tmp = store.privatePath("trees/" + tmpName);
    if (::mkdirat(treesFd, tmpName.c_str(), 0755) < 0)
        return Error::fromErrno("create '" + tmp + "'");
    auto applied = applyLayers(store, {layer}, tmp, LayerMode::Overlay, options);
    if (applied && ::renameat(treesFd, tmpName.c_str(), treesFd, key.c_str()) < 0)
        applied = Error::fromErrno("rename '" + tmp + "'");
    if (!applied) {
        if (auto removed = removeTreeAsContainerRoot(options.idMap, tmp); !removed)
            logWarning("{}", removed.error().message());
    }
    return applied;
}

} // namespace

Result<std::vector<std::string>> prepareLayerTrees(Store& store, const ImageRecord& image,
                                                   const RenderOptions& options)
{
    BERTH_TRY(auto layers, planLayers(store, image, true, false));
    BERTH_CHECK(makeDirectories(store.privatePath("trees"), 0700));
    BERTH_TRY(UniqueFd treesFd, openDirectory(store.privatePath("trees")));
    std::vector<std::string> trees;
    for (const auto& layer : layers) {
        std::string key = layerTreeKey(*layer.source.expect.diffId, options.idMap.kind);
        if (!layerTreeCached(treesFd.get(), key))
            BERTH_CHECK(prepareTree(store, treesFd.get(), layer, key, options)
                            .context("prepare layer tree " + key));
        trees.push_back(store.privatePath("trees/" + key));
    }
    std::reverse(trees.begin(), trees.end());
    return trees;
}

} // namespace berth
