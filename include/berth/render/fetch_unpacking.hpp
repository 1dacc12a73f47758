#pragma once

#include <berth/fetch/fetch_options.hpp>
#include <berth/render/render.hpp>
#include <berth/store/store.hpp>

namespace berth
{

// The LayerUnpacking of `berth fetch` and `berth run`: a registry image's
// layers go into the store's tree cache (prepareLayerTrees, with `options`)
// before its record is written, so its first run starts warm.
LayerUnpacking unpackIntoTreeCache(Store& store, RenderOptions options);

} // namespace berth
