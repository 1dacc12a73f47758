#include "pod_commands.hpp"

#include <berth/base/file.hpp>
#include <berth/base/kernel_features.hpp>
#include <berth/stage/fault_hook.hpp>
#include <berth/stage/id_map.hpp>
#include <berth/stage/landlock.hpp>
#include <berth/stage/sandbox.hpp>
#include <berth/stage/subordinate_ranges.hpp>
#include <berth/stage/user_namespace.hpp>
#include <berth/store/system_store.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sched.h>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
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

std::string userName()
{
    if (passwd* pw = ::getpwuid(::getuid())) return pw->pw_name;
    return std::to_string(::getuid());
}

// A program on PATH, or "".
std::string onPath(const std::string& program)
{
    const char* path = std::getenv("PATH");
    std::string rest = path ? path : "";
    size_t start = 0;
    while (start <= rest.size()) {
        size_t end = rest.find(':', start);
        if (end == std::string::npos) end = rest.size();
        std::string dir = rest.substr(start, end - start);
        if (!dir.empty() && dir[0] == '/' && executable((dir + "/" + program).c_str()))
            return dir + "/" + program;
        start = end + 1;
    }
    return {};
}

// Why the command uses the store it does, and how to choose the other.
std::string storeChoice(const Context& context)
{
    if (!context.root.empty()) return "--root";
    if (!context.storeText.empty()) return "--store=" + context.storeText;
    if (::geteuid() == 0) return "root's default";
    if (const char* env = std::getenv("BERTH_STORE"); env && env[0])
        return "BERTH_STORE=" + std::string(env);
    auto kind = configuredStoreKind(SystemPaths::get());
    if (kind && *kind == StoreKind::System)
        return "'store = system' in " + SystemPaths::get().config + "/berth.conf";
    return "the default; --store=system, or 'store = system' in " + SystemPaths::get().config +
           "/berth.conf, chooses the shared store";
}

// The store in use and why; whether this user may use the shared system
// store; whether they may change the system's trusted keys.
void showStores(Context& context, Store* store, const Error* storeError)
{
    if (store && store->isSystem())
        fmt::print("store: {} (the system store, shared by group {}; your trees and pods in {}; "
                   "chosen by {})\n",
                   store->root(), kStoreGroup, store->privateRoot(), storeChoice(context));
    else if (store)
        fmt::print("store: {} (your own; chosen by {})\n", store->root(), storeChoice(context));
    else
        fmt::print("store: unavailable: {} (chosen by {})\n", storeError->message(),
                   storeChoice(context));

    SystemPaths paths = SystemPaths::get();
    if (auto access = checkSystemStoreAccess(paths.store); access)
        fmt::print("system store: {}: you may use it (--store=system)\n", paths.store);
    else
        fmt::print("system store: unavailable: {}\n", access.error().message());

    // /etc/berth/trustedkeys is 2775 root:berth-admin (berth-system(1)):
    // writable means this user may change the keys every user trusts.
    std::string keys = paths.config + "/trustedkeys";
    if (::faccessat(AT_FDCWD, keys.c_str(), W_OK, AT_EACCESS) == 0)
        fmt::print("system trusted keys: {}: you may change them (trust --system)\n", keys);
    else if (errno == ENOENT)
        fmt::print("system trusted keys: {} does not exist; an administrator creates it with "
                   "'sudo berth system setup'\n",
                   keys);
    else if (errno == EACCES || errno == EPERM || errno == EROFS)
        fmt::print("system trusted keys: {}: read-only for you; to change them join group '{}' "
                   "(sudo usermod -aG {} {}) and log in again\n",
                   keys, kAdminGroup, kAdminGroup, userName());
    else
        fmt::print("system trusted keys: {}: cannot check: {}\n", keys, std::strerror(errno));
}

// Where the subordinate ranges come from (subordinate_ranges.cpp).
std::string idMapSource()
{
    std::string service = subidService();
    if (service.empty() || service == "files")
        return "from /etc/subuid and /etc/subgid, read by berth";
    return "from libsubid, for the 'subid: " + service + "' service in /etc/nsswitch.conf";
}

// Mounts a kernel overlayfs in a throwaway user and mount namespace, as the
// run stage does, on directories made under `base` (so on the file system
// the pods' upper dirs will be on). Returns "" when it mounted, else why not.
std::string tryKernelOverlay(const std::string& base)
{
    std::string dir = base + "/info-overlay-" + randomHex(6);
    if (::mkdir(dir.c_str(), 0700) < 0)
        return "cannot make a test directory in " + base + ": " + std::strerror(errno);
    for (const char* sub : {"/lower", "/upper", "/work", "/merged"})
        (void)::mkdir((dir + sub).c_str(), 0700);
    // Root needs no user namespace for overlay (run makes none for it
    // either); everyone else gets one mapping only themselves: the kernel's
    // answer is the same as with their subordinate ranges, without running
    // newuidmap.
    IdMap map;
    if (::geteuid() == 0) {
        map.kind = IdMap::Kind::Identity;
    } else {
        map.kind = IdMap::Kind::Single;
        map.uids = {{0, static_cast<uint32_t>(::getuid()), 1}};
        map.gids = {{0, static_cast<uint32_t>(::getgid()), 1}};
    }
    std::string data =
        "lowerdir=" + dir + "/lower,upperdir=" + dir + "/upper,workdir=" + dir + "/work,userxattr";
    std::string merged = dir + "/merged";
    auto status = runInUserNamespace(
        map,
        [&]() -> int {
            // Private first: as root (no user namespace) a shared / would
            // carry the test mount into the host's namespace.
            if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
                return errno ? errno : 255;
            if (::mount("overlay", merged.c_str(), "overlay", 0, data.c_str()) < 0)
                return errno ? errno : 255;
            (void)::umount2(merged.c_str(), MNT_DETACH);
            return 0;
        },
        CLONE_NEWNS);
    // overlay leaves work/work with mode 0: let its owner remove it.
    (void)::chmod((dir + "/work/work").c_str(), 0700);
    (void)removeTree(dir);
    if (!status) return status.error().message();
    if (*status == 0) return {};
    // 125: the child could not become root in its namespace (user_namespace.cpp).
    if (*status == 125) return "cannot become root in a new user namespace";
    return "mount: " + std::string(std::strerror(*status));
}

// Where run would find fuse-overlayfs (prepared_pod.cpp looks in these two
// places), or "" with `why` set.
std::string usableFuseOverlayfs(std::string& why)
{
    std::string program =
        firstExecutable({"/usr/bin/fuse-overlayfs", "/usr/local/bin/fuse-overlayfs"});
    if (program.empty()) {
        std::string elsewhere = onPath("fuse-overlayfs");
        why = elsewhere.empty()
                  ? "not installed; remedy: apt-get install fuse-overlayfs"
                  : "found at " + elsewhere +
                        ", but berth run looks only in /usr/bin and /usr/local/bin; remedy: "
                        "ln -s " +
                        elsewhere + " /usr/local/bin/";
        return {};
    }
    // Opening /dev/fuse makes an unused FUSE connection, closed at once.
    int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        why = "/dev/fuse cannot be opened read-write (" + std::string(std::strerror(errno)) +
              "); remedy: modprobe fuse, and make /dev/fuse mode 0666 (or, in a container, "
              "pass --device /dev/fuse)";
        return {};
    }
    ::close(fd);
    return program;
}

// The overlay method run will use, found by trying: one line for the choice,
// one for each method with why it can or cannot be used.
void showOverlay(const KernelFeatures& k, const std::string& probeBase)
{
    std::string kernelWhy = tryKernelOverlay(probeBase);
    std::string fuseWhy;
    std::string fuse = usableFuseOverlayfs(fuseWhy);
    const char* forced = std::getenv("BERTH_OVERLAY");
    bool forceFuse = forced && std::string(forced) == "fuse";
    if (forceFuse)
        fmt::print("overlay: fuse-overlayfs, as BERTH_OVERLAY=fuse asks{}\n",
                   fuse.empty() ? "; run will fail: fuse-overlayfs is " + fuseWhy : "");
    else if (kernelWhy.empty())
        fmt::print("overlay: kernel overlayfs{}\n", ::geteuid() == 0 ? "" : " in a user namespace");
    else if (!fuse.empty())
        fmt::print("overlay: fuse-overlayfs, as the kernel refuses overlayfs in a user "
                   "namespace here\n");
    else
        fmt::print("overlay: none: run will fail; remedy: install fuse-overlayfs, or see the "
                   "kernel line below\n");

    if (kernelWhy.empty())
        fmt::print("  kernel overlayfs: a test mount in {} worked\n", probeBase);
    else if (!k.overlayInUserNamespace && k.userNamespaces)
        fmt::print("  kernel overlayfs: refused ({}); remedy: Linux 5.11 or later (this is {})\n",
                   kernelWhy, k.kernelRelease);
    else if (!k.userNamespaces)
        fmt::print("  kernel overlayfs: refused ({}); remedy: allow unprivileged user namespaces "
                   "(see 'user namespaces')\n",
                   kernelWhy);
    else
        fmt::print("  kernel overlayfs: refused in {} ({}); remedy: keep the store on a file "
                   "system overlayfs accepts as upper dir (ext4, xfs, btrfs, tmpfs; see --root)\n",
                   probeBase, kernelWhy);
    if (fuse.empty())
        fmt::print("  fuse-overlayfs: {}\n", fuseWhy);
    else
        fmt::print("  fuse-overlayfs: {}, /dev/fuse opens read-write\n", fuse);
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
    showStores(context, store ? *store : nullptr, store ? nullptr : &store.error());

    IdMap map = IdMap::forCurrentUser();
    switch (map.kind) {
    case IdMap::Kind::Identity:
        fmt::print("id map: identity (running as root)\n");
        break;
    case IdMap::Kind::Subordinate:
        fmt::print(
            "id map: subordinate ranges (uids {} ids, gids {} ids, via newuidmap/newgidmap), "
            "{}\n",
            map.uidCount(), map.gidCount(), idMapSource());
        break;
    default:
        fmt::print("id map: single id (you are root inside; files of other ids are squashed)\n"
                   "  why: {} (looked {})\n"
                   "  remedy: add a line for your user to /etc/subuid and /etc/subgid "
                   "(usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER) "
                   "and install uidmap\n",
                   map.fallbackReason.empty() ? "no subordinate ranges" : map.fallbackReason,
                   idMapSource());
    }

    fmt::print("user namespaces: {}\n", k.userNamespaces ? "yes" : "no");
    if (!k.userNamespaces) {
        fmt::print("  why: {}\n",
                   k.userNamespaceNote.empty() ? "the kernel refuses them" : k.userNamespaceNote);
        fmt::print("  remedy: sysctl user.max_user_namespaces=15000; on Ubuntu, "
                   "sysctl kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor "
                   "profile allowing userns for berth\n");
    }

    // Tried where run's upper dirs will be: the user's part of the store.
    std::string probeBase = "/tmp";
    if (store && pathExists((*store)->privateRoot()))
        probeBase = (*store)->privateRoot();
    else if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && runtime[0] == '/')
        probeBase = runtime;
    showOverlay(k, probeBase);

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
    // Each stage is a process that sandboxes itself first.
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
