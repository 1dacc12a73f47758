#pragma once

#include <berth/appc/app_plan.hpp>
#include <berth/base/result.hpp>
#include <berth/image/app_spec.hpp>
#include <berth/image/image_record.hpp>
#include <berth/run/environment.hpp>
#include <berth/run/plan.hpp>
#include <berth/run/run_options.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth
{

// What stage0 learnt about one app's image before planning.
struct ResolvedApp {
    ImageFormat format = ImageFormat::Oci;
    AppSpec spec;
    std::vector<std::string> lowerDirs; // topmost first
    std::string passwdText;             // the image's /etc/passwd ("" when absent)
    std::string groupText;
    std::vector<std::string> envFileTexts; // one per AppOptions::envFiles
    // Set for every app of an appc pod: its name, app, AC_* environment,
    // event handlers and volumes come from the reified pod manifest.
    std::optional<AppcAppPlan> appc;
};

struct PlanContext {
    std::string uuid;
    std::string podDir;
    IdMap idMap;
    EnvLookup lookup;
    uint32_t callerUid = 0; // for --userns=keep-id
    uint32_t callerGid = 0;
    // BERTH_OVERLAY=fuse: use fuse-overlayfs even where the kernel would do.
    bool forceFuseOverlay = false;
    // The host's /etc/resolv.conf, which --net=host pods get.
    std::string hostResolvConf;
    // berth's pid, to tell whether LISTEN_FDS (read through `lookup`) is
    // meant for this process; 0: getpid().
    int64_t pid = 0;
};

// systemd's pass-through (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES,
// NOTIFY_SOCKET), read through context.lookup into the plan: listenFds and
// the first app's LISTEN_* environment, notifySocket and every app's
// NOTIFY_SOCKET and the mount of the relay socket.
Result<void> planSystemdPassing(PodPlan& pod, const PlanContext& context);

// Turns what the user asked for into a plan (no system call is made).
// Errors are the user's (a bad flag, an unknown user): exit status 125.
Result<PodPlan> buildPodPlan(const RunOptions& options, const std::vector<ResolvedApp>& apps,
                             const PlanContext& context);

// The mounts every app gets, before the user's volumes: /proc, /dev and its
// nodes, /sys, the generated /etc files.
std::vector<MountOp> baseMounts(const PodPlan& pod, const std::string& podDir);
// Masked and read-only paths, applied last (skipped with --privileged).
std::vector<MountOp> maskMounts();

} // namespace berth
