#pragma once

#include "prepared_pod.hpp"

#include <signal.h>

namespace berth
{

// The pod's PID 1, running in the new namespaces as container root: set up
// the hostname, mounts and every app's root, pivot into the pod's private
// root, start the apps, then reap every process (orphans included), forward
// signals, and return the pod's exit status (the first failing app's, else
// 0) when the last app is gone. `forwarded` is the blocked set it reads
// through a signalfd.
int runPodInit(const PreparedPod& pod, int socketFd, const sigset_t& forwarded,
               const sigset_t& originalMask);

} // namespace berth
