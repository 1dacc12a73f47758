// Kept apart from tree_cache.cpp, which renders: the warm-run front links
// this file, and with it nothing that extracts layers.
#include "layer_plan.hpp"

#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/render/render.hpp>
#include <fcntl.h>
#include <sys/stat.h>

namespace berth
{

std::string layerTreeKey(const Digest& diffId, IdMap::Kind mapKind)
{
    return diffId.appcStr() + (mapKind == IdMap::Kind::KeepId ? ".keep-id" : "");
}

bool layerTreeCached(int treesFd, const std::string& key)
{
    struct stat st;
    return ::fstatat(treesFd, key.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

Result<std::optional<std::vector<std::string>>>
findLayerTrees(Store& store, const ImageRecord& image, IdMap::Kind mapKind)
{
    BERTH_TRY(auto layers, planLayers(store, image, true, false));
    auto treesFd = openDirectory(store.privatePath("trees"));
    if (!treesFd) return std::optional<std::vector<std::string>>();
    std::vector<std::string> trees;
    for (const auto& layer : layers) {
        std::string key = layerTreeKey(*layer.source.expect.diffId, mapKind);
        if (!layerTreeCached(treesFd->get(), key)) return std::optional<std::vector<std::string>>();
        trees.push_back(store.privatePath("trees/" + key));
    }
    std::reverse(trees.begin(), trees.end());
    return std::optional(std::move(trees));
}

} // namespace berth
