#pragma once

#include "prepared_pod.hpp"

#include <signal.h>

namespace berth
{

// The app's side of the pod, from fork (in the pod's init) to execve: its
// own mount namespace pivoted into its root, stdio, credentials,
// capabilities, no_new_privs, seccomp (last), exec. Never returns; failures
// are reported on `socketFd` and end the process with 125, 126 or 127.
[[noreturn]] void execApp(const PreparedPod& pod, const PreparedApp& app, int socketFd,
                          const sigset_t& originalMask);

// Runs the app's post-stop handlers in its root, as its user, one after the
// other (called by the pod's init once the app has exited).
void runPostStopHooks(const PreparedPod& pod, const PreparedApp& app, int socketFd,
                      const sigset_t& originalMask);

// systemd's fds (PreparedPod::listenFds) are for the service app alone:
// anything else the pod executes (another app, a post-stop handler,
// fuse-overlayfs) closes them, and every other inherited fd above 2, on
// execve. Async-signal-safe.
void closeInheritedFdsOnExec();

} // namespace berth
