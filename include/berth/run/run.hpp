#pragma once

#include <berth/base/result.hpp>
#include <berth/run/image_supply.hpp>
#include <berth/run/run_options.hpp>
#include <berth/stage/early_user_namespace.hpp>
#include <berth/store/store.hpp>
#include <optional>

namespace berth
{

// The user namespace of the pod that `options` describe, with the id map
// they ask for, started before anything else of the run: newuidmap and
// newgidmap, two setuid programs that take about a millisecond each, map it
// on the other core while berth opens the store and plans the pod. Errors
// name the cause and the fix.
//
// `speculative`, when given, is one started earlier by
// startDefaultPodUserNamespace(); it is used when it suits `options` and
// dropped (its processes killed) when not.
Result<EarlyUserNamespace>
startPodUserNamespace(const RunOptions& options,
                      std::optional<EarlyUserNamespace> speculative = std::nullopt);

// The user namespace most runs want (the caller's default id map, with a
// network namespace), started before the command line is even parsed, so
// that its helpers use the core the parsing leaves idle: on a machine with
// two cores a warm run is bound by CPU, and they take a third of it.
Result<EarlyUserNamespace> startDefaultPodUserNamespace();

// `berth run`: resolves every app's image and its layer trees through
// `supply`, creates the pod directory, plans, runs the pod, records its
// exit, and removes it with --rm. Returns the pod's exit status; an Error
// means berth itself failed (exit status 125). Nothing is written before the
// supply has delivered every image, so a warm-path supply that cannot may
// hand the whole run to the engine. The pod's processes live in
// `userNamespace` (from startPodUserNamespace with the same options).
Result<int> runPod(Store& store, const RunOptions& options, ImageSupply& supply,
                   EarlyUserNamespace userNamespace);

} // namespace berth
