#include "pod_commands.hpp"

#include <berth/base/kernel_features.hpp>
#include <berth/stage/fault_hook.hpp>
#include <berth/stage/id_map.hpp>
#include <berth/stage/landlock.hpp>
#include <berth/stage/sandbox.hpp>
#include <fmt/format.h>
#include <string>
#include <unistd.h>

namespace berth::cli
{

namespace
{

bool executable(const char* path)
{
    return ::access(path, X_OK) == 0;
}

std::string firstExecutable(std::initializer_list<const char*> paths)
{
    for (const char* path : paths)
        if (executable(path)) return path;
    return {};
}

std::string landlockRemedy(const std::string& why)
{
    if (why.find("lsm=") != std::string::npos)
        return "add landlock to the kernel's lsm= boot parameter (e.g. "
               "lsm=landlock,lockdown,yama,apparmor,bpf)";
    if (why.find("ABI 1") != std::string::npos) return "a kernel >= 5.19";
    return "a kernel >= 5.13 built with CONFIG_SECURITY_LANDLOCK=y, booted with landlock in lsm=";
}

// One stage's protections as probeSandbox finds them here; each missing one
// with why and what would give it.
void showStage(const char* name, const char* writes, bool networkNamespace, bool denyNetwork,
               bool needsRefer)
{
    SandboxPolicy policy;
    policy.stage = name;
    policy.newNetworkNamespace = networkNamespace;
    policy.denyNetwork = denyNetwork;
    policy.needsRefer = needsRefer;
    SandboxReport r = probeSandbox(policy);
    std::string net = !networkNamespace    ? "network allowed (it downloads)"
                      : r.networkNamespace ? "empty network namespace"
                                           : "no network namespace";
    if (denyNetwork) net += r.seccomp ? ", inet sockets denied by seccomp" : "";
    if (denyNetwork && r.landlockAbi >= 4) net += ", TCP denied by Landlock";
    fmt::print("  {}: no_new_privs; {}; {}; {}; writes {}\n", name,
               r.landlockAbi ? "Landlock ABI " + std::to_string(r.landlockAbi)
                             : std::string("no Landlock"),
               r.seccomp ? "seccomp" : "no seccomp", net, writes);
    if (!r.landlockAbi)
        fmt::print("    missing Landlock: {}\n    remedy: {}\n", r.landlockNote,
                   landlockRemedy(r.landlockNote));
    if (!r.seccomp)
        fmt::print("    missing seccomp: {}\n    remedy: build berth with libseccomp-dev "
                   "installed\n",
                   r.seccompNote);
    if (networkNamespace && !r.networkNamespace)
        fmt::print("    missing network namespace: {}\n    remedy: allow unprivileged user "
                   "namespaces (see 'user namespaces' above)\n",
                   r.networkNote);
}

// What `berth run` will do on this machine, and what to change where it
// cannot do its best. Each line answers one "why did berth choose that?".
int showInfo(Context& context)
{
    KernelFeatures k = KernelFeatures::probe();
    auto store = context.store();
    fmt::print("store: {}\n",
               store ? (*store)->root() : "unavailable (" + store.error().message() + ")");

    IdMap map = IdMap::forCurrentUser();
    switch (map.kind) {
    case IdMap::Kind::Identity:
        fmt::print("id map: identity (running as root)\n");
        break;
    case IdMap::Kind::Subordinate:
        fmt::print(
            "id map: subordinate ranges (uids {} ids, gids {} ids, via newuidmap/newgidmap)\n",
            map.uidCount(), map.gidCount());
        break;
    default:
        fmt::print("id map: single id (you are root inside; files of other ids are squashed)\n"
                   "  why: {}\n"
                   "  remedy: add a line for your user to /etc/subuid and /etc/subgid "
                   "(usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER) "
                   "and install uidmap\n",
                   map.fallbackReason.empty() ? "no subordinate ranges" : map.fallbackReason);
    }

    fmt::print("user namespaces: {}\n", k.userNamespaces ? "yes" : "no");
    if (!k.userNamespaces) {
        fmt::print("  why: {}\n",
                   k.userNamespaceNote.empty() ? "the kernel refuses them" : k.userNamespaceNote);
        fmt::print("  remedy: sysctl user.max_user_namespaces=15000; on Ubuntu, "
                   "sysctl kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor "
                   "profile allowing userns for berth\n");
    }

    // The same choice run makes: kernel overlay first; fuse-overlayfs when
    // the kernel refuses (run says so then) or BERTH_OVERLAY=fuse asks.
    std::string fuse =
        firstExecutable({"/usr/bin/fuse-overlayfs", "/usr/local/bin/fuse-overlayfs"});
    const char* forced = std::getenv("BERTH_OVERLAY");
    if (forced && std::string(forced) == "fuse")
        fmt::print("overlay: fuse-overlayfs{} (BERTH_OVERLAY=fuse)\n",
                   fuse.empty() ? " - NOT INSTALLED: run will fail (apt-get install fuse-overlayfs)"
                                : " (" + fuse + ")");
    else if (k.overlayInUserNamespace)
        fmt::print("overlay: kernel overlayfs in the user namespace (Linux {} >= 5.11){}\n",
                   k.kernelRelease,
                   fuse.empty() ? "" : "; fuse-overlayfs if the kernel refuses at mount time");
    else if (!fuse.empty())
        fmt::print("overlay: fuse-overlayfs ({}): Linux {} cannot mount overlayfs in a user "
                   "namespace (needs 5.11)\n",
                   fuse, k.kernelRelease);
    else
        fmt::print("overlay: none: Linux {} cannot mount overlayfs in a user namespace and "
                   "fuse-overlayfs is not installed\n"
                   "  remedy: apt-get install fuse-overlayfs, or a kernel >= 5.11\n",
                   k.kernelRelease);

    fmt::print("network modes: none (default), host{}\n",
               firstExecutable({"/usr/bin/pasta", "/usr/bin/slirp4netns"}).empty()
                   ? ""
                   : "; pasta and slirp4netns are installed but not supported yet");
    std::string landlockWhy;
    int abi = landlockAbi(&landlockWhy);
    if (abi > 0)
        fmt::print("landlock: ABI {}\n", abi);
    else
        fmt::print("landlock: none (stages run without path restrictions): {}\n  remedy: {}\n",
                   landlockWhy, landlockRemedy(landlockWhy));
    fmt::print("seccomp: {}\n", k.seccomp ? "yes" : "no (apps run without a syscall filter)");
    fmt::print("openat2: {}\n",
               k.openat2 ? "yes" : "no (paths in image trees are resolved by walking fds)");
    // DESIGN §1: each stage is a process that sandboxes itself first.
    fmt::print("stages:\n");
    showStage("fetch", "only a staging directory in the store's tmp/", false, false, false);
    showStage("verify", "only its temporary GNUPGHOME", true, true, false);
    showStage("render", "only its new tree directory", true, true, true);
    fmt::print("  run: no_new_privs; {}; capabilities bounded; user, mount, pid, uts, ipc "
               "namespaces (+net unless --net=host); writes the pod's upper dir and volumes\n",
               k.seccomp ? "seccomp default filter" : "no seccomp");
    if (faultHooksBuiltIn())
        fmt::print("fault hooks: compiled in (a test build: BERTH_FAULT makes a stage attempt "
                   "forbidden actions; never ship it)\n");
    if (map.kind == IdMap::Kind::Subordinate)
        for (const char* tool : {"/usr/bin/newuidmap", "/usr/bin/newgidmap"})
            if (!executable(tool)) fmt::print("missing: {} (apt-get install uidmap)\n", tool);
    return 0;
}

} // namespace

void addInfoCommand(CLI::App& app, Context& context, Action& action)
{
    auto* cmd = app.add_subcommand(
        "info", "Show the store, id map, overlay and kernel features berth run will use");
    cmd->callback([&context, &action] { action = [&context] { return showInfo(context); }; });
}

} // namespace berth::cli
