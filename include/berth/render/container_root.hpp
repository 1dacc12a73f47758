#pragma once

#include <berth/base/result.hpp>
#include <berth/stage/id_map.hpp>
#include <berth/stage/sandbox.hpp>
#include <functional>
#include <string>

namespace berth
{

// Runs `body` as container root for `map`: with an Identity map (real root)
// in this process; otherwise in a child inside a new user namespace with the
// map applied, so that chown gives files their container ids and container
// root may modify trees owned by subordinate ids. The child's error comes
// back over a pipe and is returned here as one Error.
//
// The caller must be single-threaded (see spawnInUserNamespace).
Result<void> runAsContainerRoot(const IdMap& map, const std::function<Result<void>()>& body);

// The render stage: runs `body` as container root for `map` (as above, but
// always in a child, also for real root) with a new, empty network namespace
// made together with the user namespace, and `policy` applied
// (applySandbox: no_new_privs, Landlock, seccomp) before `body` runs.
Result<void> runRenderStage(const IdMap& map, const SandboxPolicy& policy,
                            const std::function<Result<void>()>& body);

// Removes a tree that may hold files owned by subordinate ids (rendered
// trees, tree cache entries), which the user cannot delete from outside the
// user namespace. A missing path is not an error.
Result<void> removeTreeAsContainerRoot(const IdMap& map, const std::string& path);

} // namespace berth
