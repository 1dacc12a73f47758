#pragma once

#include "child_report.hpp"
#include "prepared_pod.hpp"

namespace berth
{

// Child-side steps of assembling one app's root filesystem. All run between
// clone and execve: system calls only, no allocation.

// Mounts the app's overlay on its mount point: kernel overlayfs, else
// fuse-overlayfs when the kernel refuses (with a notice on socketFd, never
// silently, and never a copy).
ChildError mountAppRootfs(const PreparedPod& pod, const PreparedApp& app, int socketFd);
// Executes one MountOp inside the app root (rootFd).
ChildError executeMount(int rootFd, const PreparedMount& mount, const PreparedPod& pod);
// Makes the app's root mount read-only (--read-only), leaving submounts.
ChildError lockRootReadOnly(int rootFd, const PreparedApp& app);

} // namespace berth
