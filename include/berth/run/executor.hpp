#pragma once

#include <berth/base/child_process.hpp>
#include <berth/base/result.hpp>
#include <berth/run/plan.hpp>
#include <functional>

namespace berth
{

class EarlyUserNamespace;
class PodMetadataService;

struct ExecutionCallbacks {
    // Called in stage0 once the pod's init exists (for state transitions).
    std::function<void(pid_t initPid)> started;
    // The appc pod's metadata service: handed the listening socket the pod's
    // init sends, and served from the executor's poll loop (berth stays
    // single-threaded, see metadata_server.hpp).
    PodMetadataService* metadata = nullptr;
};

// How a pod ended. Its init may still be on its way out when the apps are
// done: the kernel tears the pod's namespaces down (its mounts, with an RCU
// grace period) before the exit can be reaped. `init` reaps it when it goes,
// so the caller can remove or record the pod meanwhile.
struct PodExit {
    int status = 125;
    ChildProcess init;
};

// Runs a planned pod and returns its exit status: the apps' (see
// runPodInit), 125 when berth's set-up failed, 126/127 when an app's command
// could not be executed or found. Set-up failures inside the pod are printed
// as one line. The caller must be single-threaded and stays the pod's parent
// until it exits, forwarding signals to it. The pod's init joins
// `userNamespace` when given (made with plan.idMap), else a new one.
Result<PodExit> executePod(const PodPlan& plan, const ExecutionCallbacks& callbacks = {},
                           EarlyUserNamespace* userNamespace = nullptr);

} // namespace berth
