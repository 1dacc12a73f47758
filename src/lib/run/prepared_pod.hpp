#pragma once

#include <berth/base/result.hpp>
#include <berth/run/plan.hpp>
#include <berth/run/seccomp_filter.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

namespace berth
{

// One mount operation with every string the child needs already built.
struct PreparedMount {
    const MountOp* op = nullptr;
    std::string target;    // destination without the leading '/'
    std::string parent;    // its directory ("" for the root)
    std::string base;      // its last component
    bool directory = true; // what the target must be (a bind of a file needs a file)
    // A generated /etc file (MountOp::Kind::PodFile): what it holds, and
    // where the app's scaffold may hold it itself. When it does, nothing is
    // bound; otherwise it is written to the mount's source and bound.
    const PodFile* podFile = nullptr;
    std::string inScaffold;
};

// A program to execute: argv laid out, and argv[0] already resolved against
// the app's PATH into the paths to try in order.
struct ExecTarget {
    std::vector<char*> argv;
    std::vector<std::string> candidates;
    bool searchedPath = false;
};

// An app with argv, envp and exec candidates laid out before cloning: the
// child only reads them (only async-signal-safe work between fork and exec; docs/hacking.md).
struct PreparedApp {
    const AppPlan* plan = nullptr;
    std::string mountPoint; // host path where its root is assembled
    std::string pivotPath;  // its root after the pod's pivot ("/apps/0")
    // Its scaffold (rootfs_scaffold.hpp), in the pod root; the topmost
    // lower layer of a kernel overlay ("" for fuse-overlayfs).
    std::string scaffoldDir;
    std::string overlayData;
    std::vector<std::string> fuseArgs; // fuse-overlayfs -o DATA MOUNTPOINT
    std::vector<char*> fuseArgv;
    std::vector<PreparedMount> mounts;
    ExecTarget main;
    std::vector<ExecTarget> preStart; // appc event handlers
    std::vector<ExecTarget> postStop;
    std::vector<char*> envp;
    // Index in envp of "LISTEN_PID=", which the app fills in with its own
    // pid (known only after fork); -1: this app gets no systemd fds.
    int listenPidIndex = -1;
    std::vector<gid_t> groups;
};

struct PreparedPod {
    const PodPlan* plan = nullptr;
    std::string podRoot; // host path of the pod's private root
    // Where the pod's init pivots: the pod root, or, in a pod of one app,
    // that app's root, which the app then shares (appsShareInitRoot): a
    // mount namespace and pivot of its own would copy every mount, to tear
    // them down again at exit, and change nothing.
    std::string initRoot;
    bool appsShareInitRoot = false;
    std::string mountCwd; // overlay paths are relative to this (short options)
    std::string volumesDir;
    int lastCapability = 40;
    bool setGroupsAllowed = true; // false under a single-id map (setgroups is denied)
    SeccompProgram seccomp;
    // fuse-overlayfs, for when the kernel refuses overlayfs in a user
    // namespace ("" when not installed); forced by RootfsPlan::FuseOverlay.
    std::string fuseOverlayfs;
    std::vector<PreparedApp> apps;
    // systemd's fds 3..3+listenFds-1, open in stage0 and so in the pod.
    int listenFds = 0;
};

// Builds the prepared form of a plan (allocates; runs in stage0).
Result<void> preparePod(const PodPlan& plan, PreparedPod& out);

} // namespace berth
