#include "pod_init.hpp"

#include "app_process.hpp"
#include "child_files.hpp"
#include "child_report.hpp"
#include "mount_ops.hpp"

#include <berth/appc/fd_passing.hpp>
#include <berth/stage/loopback.hpp>
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string_view>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth
{

namespace
{

constexpr size_t kMaxApps = 64;

ChildError setHostname(const PreparedPod& pod)
{
    const std::string& name = pod.plan->hostname;
    // The pod's own UTS namespace: the host's name is untouched.
    if (::sethostname(name.c_str(), name.size()) < 0)
        return childFailure("set hostname", name.c_str());
    return {};
}

ChildError makeMountsPrivate()
{
    // Nothing we mount may propagate back to the host's namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
        return childFailure("make mounts private", "/");
    return {};
}

ChildError mountPodRoot(const PreparedPod& pod)
{
    // A private tmpfs holds each app's root; the pod pivots into it so that
    // no host path stays reachable.
    if (::mount("tmpfs", pod.podRoot.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0)
        return childFailure("mount pod root on", pod.podRoot.c_str());
    char path[PATH_MAX];
    // apps/ holds their roots; etc/ the generated /etc files that are bound
    // rather than shown through an app's scaffold (executeMount writes them).
    for (std::string_view dir : {"apps", "etc"}) {
        if (!joinPath(path, pod.podRoot, dir))
            return ChildError{"pod directory path too long", pod.podRoot.c_str(), ENAMETOOLONG};
        if (::mkdir(path, 0755) < 0)
            return childFailure("create a directory in the pod root", pod.podRoot.c_str());
    }
    return {};
}

ChildError assembleApp(const PreparedPod& pod, const PreparedApp& app, int socketFd)
{
    if (ChildError e = mountAppRootfs(pod, app, socketFd)) return e;
    int rootFd = ::open(app.mountPoint.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootFd < 0) return childFailure("open", app.mountPoint.c_str());
    ChildError result;
    for (const auto& m : app.mounts)
        if ((result = executeMount(rootFd, m, pod))) break;
    if (!result && app.plan->rootfs.readOnly) result = lockRootReadOnly(rootFd, app);
    ::close(rootFd);
    return result;
}

ChildError pivotIntoPodRoot(const PreparedPod& pod)
{
    if (::chdir(pod.initRoot.c_str()) < 0) return childFailure("enter", pod.initRoot.c_str());
    // pivot_root(".", ".") stacks the old root under the new one; detaching
    // it leaves the pod with no path back to the host.
    if (::syscall(SYS_pivot_root, ".", ".") < 0)
        return childFailure("pivot_root into", pod.initRoot.c_str());
    if (::umount2(".", MNT_DETACH) < 0) return childFailure("detach old root", "/");
    if (::chdir("/") < 0) return childFailure("chdir", "/");
    return {};
}

// Already up where the early user namespace made the network namespace.
ChildError bringUpLoopback()
{
    if (int err = bringLoopbackUp()) {
        errno = err;
        return childFailure("bring up loopback", "lo");
    }
    return {};
}

// The appc metadata service must be reachable on the pod's own loopback,
// which only a process in the pod's network namespace can listen on; stage0
// serves it, so the socket travels there. Done before any app starts: an
// app that connects at once waits in the listen queue, never meets a refusal.
ChildError sendMetadataListener(const PreparedPod& pod, int socketFd)
{
    uint16_t port = pod.plan->metadataPort;
    if (port == 0) return {};
    int fd = createLoopbackListenerRaw(port);
    if (fd < 0) {
        errno = -fd;
        return childFailure("listen for the metadata service on 127.0.0.1");
    }
    ChildMessage message;
    message.type = ChildMessage::MetadataListener;
    int rc = sendFdRaw(socketFd, fd, &message, sizeof message);
    ::close(fd);
    if (rc < 0) {
        errno = -rc;
        return childFailure("send the metadata service's socket to berth");
    }
    return {};
}

// Closes fds first..last (async-signal-safe).
void closeRange(unsigned first, unsigned last)
{
    if (::close_range(first, last, 0) == 0 || errno != ENOSYS) return;
    // Before Linux 5.9: walk the descriptors this process may have.
    long max = ::sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > (1 << 20)) max = 1 << 20;
    for (long fd = first; fd <= static_cast<long>(last) && fd < max; ++fd)
        ::close(static_cast<int>(fd));
}

// The pod's init is a fork of berth: it holds every fd berth had open (the
// store, its index, the pod directory, locks) and would keep them for the
// pod's whole life, in the apps' pid namespace. Only what the pod needs
// stays: stdio, systemd's fds for the service app, and the sync socket.
void closeHostFds(int socketFd, int listenFds)
{
    int keepFrom = 3 + listenFds;
    if (socketFd < keepFrom) {
        // A socket on fd 0..2 (berth started with them closed) is covered
        // by stdio's range; none lands among systemd's, which were open.
        closeRange(static_cast<unsigned>(keepFrom), ~0U);
        return;
    }
    if (socketFd > keepFrom)
        closeRange(static_cast<unsigned>(keepFrom), static_cast<unsigned>(socketFd) - 1);
    closeRange(static_cast<unsigned>(socketFd) + 1, ~0U);
}

int exitStatusOf(int status)
{
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

} // namespace

int runPodInit(const PreparedPod& pod, int socketFd, const sigset_t& forwarded,
               const sigset_t& originalMask)
{
    // If berth dies (even by SIGKILL), the pod's init dies, and with it the
    // pid namespace and every app.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Non-dumpable before anything else: its /proc entries (fd, cwd, root,
    // exe, mem, environ) then open only to a tracer with CAP_SYS_PTRACE
    // over its memory's user namespace, which is the host's (init is a
    // fork of berth, never exec'd in the pod), so not to any app, whatever
    // capabilities the app holds in the pod. Its children (the apps until
    // their execve, hooks, fuse-overlayfs until its exec) inherit this.
    ::prctl(PR_SET_DUMPABLE, 0);
    closeHostFds(socketFd, pod.listenFds);
    pollfd parentAlive{socketFd, 0, 0};
    if (::poll(&parentAlive, 1, 0) == 1 && (parentAlive.revents & POLLHUP)) ::_exit(125);
    ::setsid();
    ::prctl(PR_SET_NAME, "berth-init");

    auto failed = [&](const ChildError& e) {
        reportChildError(socketFd, e);
        return e.exitCode;
    };
    // Sync point 1 was the id map (spawnInUserNamespace). Set-up now.
    if (ChildError e = setHostname(pod)) return failed(e);
    if (ChildError e = makeMountsPrivate()) return failed(e);
    if (::chdir(pod.mountCwd.c_str()) < 0)
        return failed(childFailure("enter", pod.mountCwd.c_str()));
    if (ChildError e = mountPodRoot(pod)) return failed(e);
    for (const auto& app : pod.apps)
        if (ChildError e = assembleApp(pod, app, socketFd)) return failed(e);
    if (ChildError e = pivotIntoPodRoot(pod)) return failed(e);
    if (pod.plan->network == NetworkMode::None)
        if (ChildError e = bringUpLoopback()) return failed(e);
    if (ChildError e = sendMetadataListener(pod, socketFd)) return failed(e);

    int signalFd = ::signalfd(-1, &forwarded, SFD_CLOEXEC);
    if (signalFd < 0) return failed(childFailure("create signalfd"));

    // Sync point 2: start the apps. Each reports its own exec failure.
    pid_t pids[kMaxApps];
    int statuses[kMaxApps];
    size_t count = pod.apps.size() < kMaxApps ? pod.apps.size() : kMaxApps;
    size_t running = 0;
    for (size_t i = 0; i < count; ++i) {
        pid_t pid = ::fork();
        if (pid < 0) {
            ChildError e = childFailure("start app", pod.apps[i].plan->name.c_str());
            reportChildError(socketFd, e);
            pids[i] = -1;
            statuses[i] = 125;
            continue;
        }
        if (pid == 0) {
            ::close(signalFd);
            execApp(pod, pod.apps[i], socketFd, originalMask);
        }
        pids[i] = pid;
        statuses[i] = -1;
        ++running;
    }

    // Supervise: reap everything (orphans re-parent to us), forward the
    // rest to the apps.
    while (running > 0) {
        signalfd_siginfo info;
        ssize_t n = ::read(signalFd, &info, sizeof info);
        if (n < 0 && errno == EINTR) continue;
        if (n != sizeof info) break;
        if (info.ssi_signo == SIGCHLD) {
            int status;
            pid_t pid;
            while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
                for (size_t i = 0; i < count; ++i)
                    if (pids[i] == pid) {
                        statuses[i] = exitStatusOf(status);
                        pids[i] = -1;
                        --running;
                        runPostStopHooks(pod, pod.apps[i], socketFd, originalMask);
                    }
            continue;
        }
        for (size_t i = 0; i < count; ++i)
            if (pids[i] > 0) ::kill(pids[i], static_cast<int>(info.ssi_signo));
    }
    int status = 0;
    for (size_t i = 0; i < count && status == 0; ++i)
        if (statuses[i] != 0) status = statuses[i] < 0 ? 125 : statuses[i];
    // Berth may clean up while the kernel takes the pod's namespaces down
    // behind our exit; it reaps us after.
    reportPodFinished(socketFd, status);
    return status;
}

} // namespace berth
