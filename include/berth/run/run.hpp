#pragma once

#include <berth/base/result.hpp>
#include <berth/run/image_supply.hpp>
#include <berth/run/run_options.hpp>
#include <berth/store/store.hpp>

namespace berth
{

// `berth run`: resolves every app's image and its layer trees through
// `supply`, creates the pod directory, plans, runs the pod, records its
// exit, and removes it with --rm. Returns the pod's exit status; an Error
// means berth itself failed (exit status 125). Nothing is written before the
// supply has delivered every image, so a warm-path supply that cannot may
// hand the whole run to the engine.
Result<int> runPod(Store& store, const RunOptions& options, ImageSupply& supply);

} // namespace berth
