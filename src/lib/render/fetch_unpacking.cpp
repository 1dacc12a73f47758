#include <berth/render/fetch_unpacking.hpp>
#include <fcntl.h>

namespace berth
{

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
        auto trees = prepareLayerTrees(store, image, options);
        if (!trees) return std::move(trees).error();
        return ok();
    };
    return unpacking;
}

} // namespace berth
