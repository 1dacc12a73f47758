#include "app_process.hpp"

#include "child_report.hpp"

#include <berth/run/capabilities.hpp>
#include <cerrno>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace berth
{

namespace
{

[[noreturn]] void fail(int socketFd, const ChildError& error)
{
    reportChildError(socketFd, error);
    ::_exit(error.exitCode);
}

// The app gets a mount namespace of its own so that it can pivot into its
// root while the other apps of the pod pivot into theirs. The one app of a
// pod is in its root already: the pod's init pivoted there.
ChildError enterRoot(const PreparedPod& pod, const PreparedApp& app)
{
    if (pod.appsShareInitRoot) return {};
    if (::unshare(CLONE_NEWNS) < 0)
        return childFailure("create mount namespace for", app.plan->name.c_str());
    if (::chdir(app.pivotPath.c_str()) < 0)
        return childFailure("enter root", app.pivotPath.c_str());
    // pivot_root, never chroot: the old root is detached, not just hidden.
    if (::syscall(SYS_pivot_root, ".", ".") < 0)
        return childFailure("pivot_root into", app.pivotPath.c_str());
    if (::umount2(".", MNT_DETACH) < 0)
        return childFailure("detach old root of", app.pivotPath.c_str());
    if (::chdir("/") < 0) return childFailure("chdir", "/");
    return {};
}

ChildError sendTtyMaster(int socketFd, int master)
{
    ChildMessage message;
    message.type = ChildMessage::TtyMaster;
    iovec iov{&message, sizeof message};
    char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    __builtin_memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
    if (::sendmsg(socketFd, &msg, MSG_NOSIGNAL) < 0) return childFailure("send pty to berth");
    // Sync point 3: wait until berth has sized the pty, so the app's first
    // TIOCGWINSZ sees the real size.
    ChildMessage ack;
    ssize_t n;
    do {
        n = ::recv(socketFd, &ack, sizeof ack, 0);
    } while (n < 0 && errno == EINTR);
    if (n != sizeof ack || ack.type != ChildMessage::TtyAck)
        return childFailure("wait for berth to set up the pty");
    return {};
}

// A pty from the pod's own devpts; the master goes to berth, which copies
// between it and the user's terminal.
ChildError setUpTty(int socketFd)
{
    int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return childFailure("open", "/dev/ptmx");
    int unlock = 0;
    if (::ioctl(master, TIOCSPTLCK, &unlock) < 0) return childFailure("unlock pty");
    int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) return childFailure("open pty slave");
    if (ChildError e = sendTtyMaster(socketFd, master)) return e;
    ::close(master);
    for (int fd = 0; fd < 3; ++fd)
        if (::dup2(slave, fd) < 0) return childFailure("attach pty");
    if (slave > 2) ::close(slave);
    if (::ioctl(0, TIOCSCTTY, 0) < 0) return childFailure("make pty the controlling terminal");
    return {};
}

ChildError setUpStdio(const PreparedApp& app, int socketFd)
{
    if (app.plan->tty) return setUpTty(socketFd);
    if (!app.plan->stdinAttached) {
        // Without -i the app reads nothing, as with Podman.
        int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || ::dup2(null, 0) < 0) return childFailure("open", "/dev/null");
        ::close(null);
    }
    return {};
}

ChildError setCredentials(const PreparedPod& pod, const PreparedApp& app)
{
    const AppPlan& plan = *app.plan;
    // The bounding set caps what any later execve can gain, even setuid
    // binaries of the image.
    if (dropBoundingSet(plan.capabilities, pod.lastCapability) < 0)
        return childFailure("drop capabilities of", plan.name.c_str());
    // Groups before uid: after setresuid we may no longer change them.
    if (pod.setGroupsAllowed &&
        ::setgroups(app.groups.size(), app.groups.empty() ? nullptr : app.groups.data()) < 0)
        return childFailure("set supplementary groups of", plan.name.c_str());
    if (::setresgid(plan.gid, plan.gid, plan.gid) < 0)
        return childFailure("set gid of app", plan.name.c_str());
    // Container root keeps its set; any other uid loses effective and
    // permitted capabilities here, as on a normal system.
    if (::setresuid(plan.uid, plan.uid, plan.uid) < 0)
        return childFailure("set uid of app", plan.name.c_str());
    if (setProcessCapabilities(plan.uid == 0 ? plan.capabilities : 0) < 0)
        return childFailure("set capabilities of", plan.name.c_str());
    return {};
}

[[noreturn]] void execute(const ExecTarget& target, char* const* envp, int socketFd)
{
    int denied = 0;
    const char* deniedPath = nullptr;
    for (const auto& candidate : target.candidates) {
        ::execve(candidate.c_str(), target.argv.data(), envp);
        int err = errno;
        if (err == ENOENT || err == ENOTDIR) continue;
        if (err == EACCES && target.searchedPath) {
            // Keep looking, as execvp does; report it if nothing runs.
            denied = err;
            deniedPath = candidate.c_str();
            continue;
        }
        errno = err;
        fail(socketFd, childFailure("cannot execute", candidate.c_str(), 126));
    }
    if (denied) {
        errno = denied;
        fail(socketFd, childFailure("cannot execute", deniedPath, 126));
    }
    errno = ENOENT;
    fail(socketFd, childFailure(target.searchedPath ? "executable not found in $PATH"
                                                    : "executable not found",
                                target.argv[0], 127));
}

// The last steps before execve, shared by the app and its hooks.
[[noreturn]] void dropAndExecute(const PreparedPod& pod, const PreparedApp& app,
                                 const ExecTarget& target, int socketFd)
{
    if (ChildError e = setCredentials(pod, app)) fail(socketFd, e);
    // A change of uid resets dumpability to fs.suid_dumpable, which a host
    // may have set to 1: until execve this is still berth's process, with
    // berth's binary as its exe and the sync socket open.
    ::prctl(PR_SET_DUMPABLE, 0);
    if (::chdir(app.plan->workingDirectory.c_str()) < 0)
        fail(socketFd, childFailure("workdir", app.plan->workingDirectory.c_str(), 126));
    // no_new_privs: setuid binaries in the image cannot gain what we dropped.
    if (app.plan->noNewPrivileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail(socketFd, childFailure("set no_new_privs for", app.plan->name.c_str()));
    // seccomp last, right before execve, so set-up needs no exceptions in it.
    if (app.plan->seccomp && loadSeccompProgram(pod.seccomp) < 0)
        fail(socketFd, childFailure("load seccomp filter for", app.plan->name.c_str()));
    execute(target, app.envp.data(), socketFd);
}

// Runs each handler to completion; a failing pre-start handler stops the app
// from starting (appc).
ChildError runHooks(const PreparedPod& pod, const PreparedApp& app,
                    const std::vector<ExecTarget>& hooks, int socketFd)
{
    for (const auto& hook : hooks) {
        pid_t pid = ::fork();
        if (pid < 0) return childFailure("start event handler of", app.plan->name.c_str());
        if (pid == 0) dropAndExecute(pod, app, hook, socketFd);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return ChildError{"event handler failed", hook.argv[0], 0, 125};
    }
    return {};
}

// Every fd above `first` is closed on execve: the pod gets none of what its
// caller had open by accident (a script's fd 3, a terminal's extra fds), as
// with Podman without --preserve-fds. The pod's own (socketFd) are
// close-on-exec already and keep working until then.
void closeFromOnExec(int first)
{
    if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    // Before Linux 5.11: walk the descriptors this process may have.
    long max = ::sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > (1 << 20)) max = 1 << 20;
    for (int fd = first; fd < max; ++fd)
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// The service app keeps systemd's fds under their numbers (inheritable,
// whatever berth had them as) and learns its own pid as the pod's pid
// namespace shows it: that is what sd_listen_fds() compares LISTEN_PID with.
void passListenFds(const PreparedPod& pod, const PreparedApp& app)
{
    if (app.listenPidIndex < 0) {
        closeInheritedFdsOnExec();
        return;
    }
    closeFromOnExec(3 + pod.listenFds);
    for (int fd = 3; fd < 3 + pod.listenFds; ++fd)
        ::fcntl(fd, F_SETFD, 0);
    // After fork this memory is the app's own copy: writing it touches
    // nothing the pod's init reads.
    static char entry[32] = "LISTEN_PID=";
    constexpr size_t prefix = sizeof "LISTEN_PID=" - 1;
    formatDecimal(entry + prefix, sizeof entry - prefix, ::getpid());
    const_cast<char**>(app.envp.data())[app.listenPidIndex] = entry;
}

} // namespace

void closeInheritedFdsOnExec()
{
    closeFromOnExec(3);
}

void execApp(const PreparedPod& pod, const PreparedApp& app, int socketFd,
             const sigset_t& originalMask)
{
    // The app gets the signal mask berth started with; init's blocked set is
    // for its signalfd only.
    ::sigprocmask(SIG_SETMASK, &originalMask, nullptr);
    // Default dispositions, as a fresh process on a normal system has: berth
    // ignores SIGPIPE for itself, and an app that inherited that would see
    // EPIPE where it expects to die quietly.
    struct sigaction dfl {
    };
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < 32; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    // A session of its own: terminal signals go to berth, which forwards them
    // once instead of the app seeing them twice.
    ::setsid();
    passListenFds(pod, app);
    if (ChildError e = enterRoot(pod, app)) fail(socketFd, e);
    if (ChildError e = setUpStdio(app, socketFd)) fail(socketFd, e);
    if (ChildError e = runHooks(pod, app, app.preStart, socketFd)) fail(socketFd, e);
    dropAndExecute(pod, app, app.main, socketFd);
}

void runPostStopHooks(const PreparedPod& pod, const PreparedApp& app, int socketFd,
                      const sigset_t& originalMask)
{
    if (app.postStop.empty()) return;
    pid_t pid = ::fork();
    if (pid < 0) return;
    if (pid == 0) {
        ::sigprocmask(SIG_SETMASK, &originalMask, nullptr);
        closeInheritedFdsOnExec();
        if (ChildError e = enterRoot(pod, app)) fail(socketFd, e);
        int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0) ::dup2(null, 0);
        ChildError e = runHooks(pod, app, app.postStop, socketFd);
        if (e) reportChildError(socketFd, e);
        ::_exit(e ? 125 : 0);
    }
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

} // namespace berth
