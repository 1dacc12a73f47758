#pragma once

// The seccomp filter a fetch, verify or render stage loads on itself; no
// other area includes this (the run stage has its own, in run/).

#include <berth/base/result.hpp>

namespace berth
{

// True when this build has libseccomp.
bool stageSeccompBuiltIn();

// Loads a filter (no_new_privs must be set) that answers EPERM to system
// calls no stage needs: mounting, namespaces, kernel modules and keys,
// ptrace and process_vm_*, bpf, perf, io_uring. With `denyInet`, also
// socket(2) for AF_INET, AF_INET6 and AF_PACKET, so a stage without a
// network namespace still cannot reach the network.
Result<void> loadStageSeccomp(bool denyInet);

} // namespace berth
