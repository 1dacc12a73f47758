#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/render/layer_extractor.hpp>
#include <berth/store/store.hpp>
#include <vector>

namespace berth
{

// One layer to apply, bottom first.
struct PlannedLayer {
    Digest blob;
    LayerSource source;
};

// The layers that make up an image's root filesystem, bottom first. OCI: the
// manifest's layers. ACI: with `dependencies`, each dependency depth-first in
// manifest order (a later dependency overlays an earlier one, as in appc),
// then the image itself; with `whitelist`, the image's pathWhitelist filters
// every one of them.
Result<std::vector<PlannedLayer>> planLayers(Store& store, const ImageRecord& image,
                                             bool dependencies, bool whitelist);

} // namespace berth
