#pragma once

#include <berth/stage/id_map.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace berth
{

// One set-up operation on an app's root filesystem, executed in order inside
// the pod's mount namespace before pivot_root. Destinations are absolute
// paths inside the container; they are resolved inside the root (never
// through a symlink that leaves it).
struct MountOp {
    enum class Kind {
        Bind,     // bind `source` (a host path) on `destination`
        Tmpfs,    // a fresh tmpfs with `data` options
        Proc,     // procfs of the pod's pid namespace
        Sysfs,    // sysfs (bound from the host when the net namespace is shared)
        Devpts,   // a new devpts instance
        Mqueue,   // POSIX message queues of the pod's ipc namespace
        MaskFile, // /dev/null bound over a file, or an empty read-only tmpfs over a directory
        ReadOnly, // remount an existing path read-only
        Symlink,  // create `destination` as a symlink to `source`
        Device,   // bind a host device node (`source`) onto a new file
        PodFile,  // bind a generated file (PodPlan::etcFiles) from `source` onto a file
    };
    Kind kind = Kind::Bind;
    std::string source;
    std::string destination;
    std::string data;        // filesystem options ("mode=755,size=65536k")
    unsigned long flags = 0; // extra MS_* flags (MS_NOSUID, MS_NOEXEC, …)
    bool readOnly = false;
    bool directory = true; // the target is a directory (else a file)
    bool optional = false; // skip quietly when the source is missing
    // For appc "empty" volumes: the source directory is given this owner
    // (container ids) and mode inside the user namespace before binding.
    int64_t ownerUid = -1;
    int64_t ownerGid = -1;
    uint32_t mode = 0;

    bool operator==(const MountOp&) const = default;
};

// How an app's root filesystem is assembled.
struct RootfsPlan {
    enum class Kind {
        Overlay,     // kernel overlayfs in the user namespace (userxattr)
        FuseOverlay, // fuse-overlayfs, where the kernel refuses
    };
    Kind kind = Kind::Overlay;
    std::vector<std::string> lowerDirs; // topmost first
    std::string upperDir;
    std::string workDir;
    bool readOnly = false;
    // The upper dir is removed when the pod ends (--rm), so overlay may skip
    // its syncs ("volatile"), as Podman's --rm does. Otherwise unmounting at
    // the pod's end syncs the whole file system under the upper dir: every
    // dirty page on it, whoever wrote it. With 400 MB written elsewhere and
    // not yet flushed, `run --rm true` took 191 ms instead of 12.
    bool discardUpper = false;
};

// A program run before or after an app in its root filesystem (appc event
// handlers). Hooks run as the app's user with the app's environment.
struct HookPlan {
    std::vector<std::string> argv;
};

// One process of the pod, fully resolved before any namespace exists.
struct AppPlan {
    std::string name;
    RootfsPlan rootfs;
    std::vector<MountOp> mounts;
    std::vector<std::string> argv;
    std::vector<std::string> env; // "K=V", final
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> supplementaryGids;
    std::string workingDirectory = "/";
    uint64_t capabilities = 0; // bit n = capability n
    bool noNewPrivileges = true;
    bool seccomp = true;
    bool stdinAttached = false; // -i: the app reads berth's stdin
    bool tty = false;           // -t: the app gets a pty
    std::vector<HookPlan> preStart;
    std::vector<HookPlan> postStop;
};

enum class NetworkMode { None, Host };

// Where an app finds the pod's notify socket (its NOTIFY_SOCKET).
inline constexpr const char* kNotifySocketInPod = "/run/notify/notify.sock";
// The relay socket's name in the pod directory.
inline constexpr const char* kNotifySocketFile = "notify.sock";

// Everything `berth run` will do, as plain data: built and checked in stage0
// (and in unit tests), then executed step by step.
// A file the pod's init makes for the apps before they start: in an app's
// scaffold, or in the pod's private root to be bound (see PodPlan::etcFiles).
struct PodFile {
    std::string name;
    std::string content;
};

struct PodPlan {
    std::string uuid;
    std::string podDir; // the pod's directory under the store's pods/run/
    IdMap idMap;
    NetworkMode network = NetworkMode::None;
    std::string hostname;
    // /etc/hosts, /etc/hostname and /etc/resolv.conf for every app. The
    // pod's init writes them into each app's scaffold (an in-memory layer
    // of its root) or, for a read-only root, into its private root, a
    // tmpfs, and binds them from there (PodLayout::etcFile): a pod makes no
    // such files on disk.
    std::vector<PodFile> etcFiles;
    std::vector<AppPlan> apps;
    // The appc metadata service's port on the pod's loopback: the pod's init
    // listens there and hands the socket to stage0. 0: none (no appc pod, or
    // --net=host where stage0 listens on the host's loopback itself).
    uint16_t metadataPort = 0;
    // systemd socket activation (sd_listen_fds(3)): systemd gave berth's
    // own pid fds 3..3+listenFds-1; they stay open under the same numbers
    // in the first app, whose LISTEN_PID is set to its own pid (as seen in
    // the pod's pid namespace) when it starts. 0: none.
    int listenFds = 0;
    // systemd's NOTIFY_SOCKET (a path, or "@name" for an abstract socket):
    // berth binds a socket of its own in the pod directory, mounts it at
    // kNotifySocketInPod in every app, and relays what the apps send, from
    // its own pid, since systemd takes notifications from the main pid only
    // by default. "": none.
    std::string notifySocket;
    // Extra fds kept open in the pod's init (e.g. a listening socket for a
    // metadata service), numbered from 3 in the apps when passed on.
    std::vector<int> inheritedFds;
};

// Namespaces the pod gets besides the user namespace.
unsigned long podCloneFlags(const PodPlan& plan);

} // namespace berth
