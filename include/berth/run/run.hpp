#pragma once

#include <berth/base/result.hpp>
#include <berth/run/run_options.hpp>
#include <berth/store/store.hpp>

namespace berth
{

// `berth run`: resolves (and imports, for local transports) every app's
// image, prepares its layer trees, creates the pod directory, plans, runs
// the pod, records its exit, and removes it with --rm. Returns the pod's exit
// status; an Error means berth itself failed (exit status 125).
Result<int> runPod(Store& store, const RunOptions& options);

} // namespace berth
