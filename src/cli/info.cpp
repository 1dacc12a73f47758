#include "pod_commands.hpp"

#include <berth/base/kernel_features.hpp>
#include <berth/stage/id_map.hpp>
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
    fmt::print("landlock: {}\n", k.landlockAbi > 0
                                     ? "ABI " + std::to_string(k.landlockAbi)
                                     : std::string("none (stages run without it; needs Linux "
                                                   ">= 5.13 with lsm=landlock)"));
    fmt::print("seccomp: {}\n", k.seccomp ? "yes" : "no (apps run without a syscall filter)");
    fmt::print("openat2: {}\n",
               k.openat2 ? "yes" : "no (paths in image trees are resolved by walking fds)");
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
