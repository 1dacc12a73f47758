#pragma once

#include "layer_plan.hpp"

#include <berth/base/result.hpp>
#include <berth/render/render.hpp>
#include <vector>

namespace berth
{

// Extracts `layers` in order into the directory `root` (which exists and is
// empty or holds the layers below), as container root for options.idMap.
// Blobs are opened here, before any user namespace is entered.
Result<void> applyLayers(Store& store, const std::vector<PlannedLayer>& layers,
                         const std::string& root, LayerMode mode, const RenderOptions& options);

} // namespace berth
