#include "apply_layers.hpp"

#include "render_stage.hpp"

#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/render/container_root.hpp>

namespace berth
{

Result<void> applyLayers(Store& store, const std::vector<PlannedLayer>& layers,
                         const std::string& root, LayerMode mode, const RenderOptions& options)
{
    const IdMap& map = options.idMap;
    ExtractOptions extract;
    extract.mode = mode;
    extract.limits = options.limits;
    extract.ownership = Ownership::Keep;
    extract.trustedOverlayXattrs = map.kind == IdMap::Kind::Identity;
    if (map.kind == IdMap::Kind::Single) {
        warnSingleIdMapOnce(map);
        extract.ownership = Ownership::Squash;
    }

    std::vector<UniqueFd> blobs;
    for (const auto& layer : layers) {
        auto fd = store.openBlob(layer.blob);
        if (!fd) return std::move(fd).error().addContext(layer.source.label);
        blobs.push_back(std::move(fd).value());
    }
    BERTH_TRY(UniqueFd rootFd, openDirectory(root));
    int rootDir = rootFd.get();
    return runRenderStage(map, renderPolicy(store, root), [&]() -> Result<void> {
        uint64_t squashed = 0;
        for (size_t i = 0; i < layers.size(); ++i) {
            BERTH_TRY(ExtractStats stats,
                      extractLayer(rootDir, std::move(blobs[i]), layers[i].source, extract));
            if (extract.ownership == Ownership::Keep) squashed += stats.squashedOwners;
            if (stats.skippedDevices)
                logDebug("{}: {} device nodes skipped", layers[i].source.label,
                         stats.skippedDevices);
        }
        if (squashed)
            logWarning("{} files are owned by ids beyond your subordinate range; they were "
                       "given to container root",
                       squashed);
        return ok();
    });
}

} // namespace berth
