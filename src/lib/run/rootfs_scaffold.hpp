#pragma once

#include "child_report.hpp"
#include "prepared_pod.hpp"

namespace berth
{

// An app's scaffold: the topmost lower layer of its overlay, a directory in
// the pod root's tmpfs that holds the mount points the pod needs at the top
// of the image (/dev, /proc, /sys, and /etc with the generated files) where
// the merged image has none or a directory. Made there, in memory, they
// need not be made in the app's upper directory on disk on every run: six
// inodes created and freed per run for an image as small as busybox. The
// generated /etc files are there with their content unless the root is
// read-only; then they are empty, and the files are bound over them.
//
// A directory the image has is made with the image's mode and owner, which
// the merged view then shows. A name the image has as anything else (a
// symlink /etc, say) is left out, and its mount point is made in the upper
// directory as before, through the image's own path.
//
// Runs in the pod's init before the app's overlay is mounted (kernel
// overlayfs only): system calls only, no allocation.
ChildError buildRootfsScaffold(const PreparedPod& pod, const PreparedApp& app);

// Removes the app's scaffold again, for fuse-overlayfs to mount the root
// without it (the kernel refused overlayfs): the generated /etc files are
// then bound, which they are only where the scaffold does not hold them.
ChildError dropRootfsScaffold(const PreparedPod& pod, const PreparedApp& app);

} // namespace berth
