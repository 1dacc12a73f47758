#include "child_report.hpp"
#include "pod_init.hpp"
#include "prepared_pod.hpp"
#include "pty.hpp"

#include <berth/appc/pod_metadata_service.hpp>
#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/run/executor.hpp>
#include <berth/stage/early_user_namespace.hpp>
#include <berth/stage/user_namespace.hpp>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

namespace berth
{

namespace
{

// Every catchable signal is forwarded to the pod, except those that are
// about berth itself: SIGCHLD (its child), SIGPIPE (its own writes).
sigset_t forwardedSignals()
{
    sigset_t set;
    sigemptyset(&set);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGPIPE || (sig >= 32 && sig < SIGRTMIN))
            continue;
        sigaddset(&set, sig);
    }
    return set;
}

// Blocks the forwarded signals for the pod's lifetime and reads them from a
// signalfd; restores the mask when dropped.
class SignalGuard
{
public:
    Result<void> start(const sigset_t& set)
    {
        // A signal berth inherited as ignored (SIGINT for a background job of
        // a script) would be dropped, not queued: take the default action
        // back; blocked and read through the signalfd, none of them acts on
        // berth itself.
        for (int sig = 1; sig < NSIG; ++sig)
            if (sigismember(&set, sig) == 1) ::signal(sig, SIG_DFL);
        if (::sigprocmask(SIG_BLOCK, &set, &original_) < 0)
            return Error::fromErrno("block signals");
        blocked_ = true;
        int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0) return Error::fromErrno("signalfd");
        fd_ = UniqueFd(fd);
        return ok();
    }
    ~SignalGuard()
    {
        if (blocked_) ::sigprocmask(SIG_SETMASK, &original_, nullptr);
    }
    int fd() const { return fd_.get(); }
    const sigset_t& original() const { return original_; }

private:
    sigset_t original_{};
    bool blocked_ = false;
    UniqueFd fd_;
};

// systemd's notify socket, relayed. The apps send to a socket of berth's
// own, mounted into the pod; berth forwards each message from its own pid,
// the unit's main pid, so that NotifyAccess=main (the default) accepts it
// and an abstract or out-of-namespace NOTIFY_SOCKET works from any pod.
class NotifyRelay
{
public:
    // Binds podDir/notify.sock and prepares to send to `target`.
    Result<void> start(const std::string& podDir, const std::string& target)
    {
        if (!makeAddress(target, target_, targetLength_))
            return Error("NOTIFY_SOCKET '" + target + "' is too long for a socket address");
        BERTH_TRY(UniqueFd dir, openDirectory(podDir));
        // Through the directory's fd: a pod directory may be longer than a
        // socket address can hold.
        char path[64];
        std::snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dir.get(), kNotifySocketFile);
        sockaddr_un own;
        socklen_t ownLength = 0;
        if (!makeAddress(path, own, ownLength))
            return Error("the notify relay's socket path is too long");
        int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) return Error::fromErrno("create the notify relay socket");
        listen_ = UniqueFd(fd);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&own), ownLength) < 0)
            return Error::fromErrno("bind the notify relay socket in '" + podDir + "'");
        // Any uid of the pod may notify, as any process of a unit may with
        // NotifyAccess=all; the pod directory keeps others out.
        if (::fchmodat(dir.get(), kNotifySocketFile, 0777, 0) < 0)
            return Error::fromErrno("chmod the notify relay socket");
        fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return Error::fromErrno("create a socket to send to NOTIFY_SOCKET");
        send_ = UniqueFd(fd);
        return ok();
    }
    int fd() const { return listen_.get(); }

    // Forwards every queued message.
    void relay()
    {
        for (int i = 0; i < 64; ++i) {
            char buffer[4096];
            char control[CMSG_SPACE(sizeof(int) * 16)];
            iovec iov{buffer, sizeof buffer};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            ssize_t n = ::recvmsg(listen_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
            if (n < 0) return;
            // fds sent along (FDSTORE=1) are not passed on: closed here.
            for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                    for (size_t k = 0; k < count; ++k) {
                        int fd;
                        std::memcpy(&fd, CMSG_DATA(c) + k * sizeof fd, sizeof fd);
                        ::close(fd);
                    }
                }
            std::string message = withoutMainPid(std::string_view(buffer, static_cast<size_t>(n)));
            if (message.empty()) continue;
            if (::sendto(send_.get(), message.data(), message.size(), MSG_NOSIGNAL,
                         reinterpret_cast<const sockaddr*>(&target_), targetLength_) < 0)
                logWarning("relay a notification to NOTIFY_SOCKET: {}", std::strerror(errno));
        }
    }

private:
    static bool makeAddress(const std::string& text, sockaddr_un& address, socklen_t& length)
    {
        address = {};
        address.sun_family = AF_UNIX;
        if (text.empty() || text.size() >= sizeof address.sun_path) return false;
        std::memcpy(address.sun_path, text.data(), text.size());
        // "@name": an abstract socket, whose name starts with a NUL and has
        // no terminating one.
        if (text[0] == '@') address.sun_path[0] = '\0';
        length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + text.size() +
                                        (text[0] == '@' ? 0 : 1));
        return true;
    }
    // MAINPID= from an app names a pid of the pod's namespace, meaningless
    // to systemd: berth is the main pid and stays it.
    static std::string withoutMainPid(std::string_view message)
    {
        std::string out;
        size_t start = 0;
        while (start < message.size()) {
            size_t end = message.find('\n', start);
            if (end == std::string_view::npos) end = message.size();
            std::string_view line = message.substr(start, end - start);
            if (!line.starts_with("MAINPID=") && !line.empty()) {
                if (!out.empty()) out += '\n';
                out += line;
            }
            start = end + 1;
        }
        return out;
    }

    UniqueFd listen_;
    UniqueFd send_;
    sockaddr_un target_{};
    socklen_t targetLength_ = 0;
};

std::string describe(const ChildMessage& message)
{
    std::string what(message.what, ::strnlen(message.what, sizeof message.what));
    std::string path(message.path, ::strnlen(message.path, sizeof message.path));
    if (what == "workdir")
        return "workdir '" + path + "' " +
               (message.errnum == ENOENT
                    ? std::string("does not exist")
                    : std::string("cannot be entered: ") + std::strerror(message.errnum));
    if (what.starts_with("executable not found")) return "'" + path + "': " + what;
    if (what == "fuse-overlayfs in reach of app")
        return "app '" + path +
               "' may hold CAP_SYS_PTRACE or every capability, which would let it reach the "
               "host through fuse-overlayfs, the daemon serving the pod's root filesystems: "
               "run it without --privileged and SYS_PTRACE, or where kernel overlayfs works";
    std::string text = what;
    if (!path.empty()) text += " '" + path + "'";
    if (message.errnum) text += std::string(": ") + std::strerror(message.errnum);
    if ((what.starts_with("set uid") || what.starts_with("set gid")) && message.errnum == EINVAL)
        text += " (the id is not mapped in the user namespace; check /etc/subuid and /etc/subgid)";
    if (what.starts_with("mount overlay") && (message.errnum == EPERM || message.errnum == EINVAL))
        text += " (the kernel refused overlayfs in a user namespace)";
    return text;
}

struct Received {
    ChildMessage message;
    UniqueFd fd;
    bool got = false;
};

Received receive(int socketFd)
{
    Received r;
    iovec iov{&r.message, sizeof r.message};
    char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(socketFd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n != sizeof r.message) return r;
    r.got = true;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            r.fd = UniqueFd(fd);
        }
    return r;
}

// Handles one message from the pod; false when the socket is closed. The
// pod's exit status, once init says it, goes to `finished`.
bool handleMessage(int socketFd, PtyRelay& pty, PodMetadataService* metadata,
                   std::optional<int>& finished)
{
    Received r = receive(socketFd);
    if (!r.got) return false;
    if (r.message.type == ChildMessage::Finished) {
        finished = r.message.exitCode;
    } else if (r.message.type == ChildMessage::Failure) {
        logError("{}", describe(r.message));
    } else if (r.message.type == ChildMessage::Notice) {
        logWarning("{}", describe(r.message));
    } else if (r.message.type == ChildMessage::TtyMaster && r.fd) {
        if (auto attached = pty.attach(std::move(r.fd)); !attached)
            logWarning("{}", attached.error().message());
        ChildMessage ack;
        ack.type = ChildMessage::TtyAck;
        [[maybe_unused]] ssize_t n = ::send(socketFd, &ack, sizeof ack, MSG_NOSIGNAL);
    } else if (r.message.type == ChildMessage::MetadataListener && r.fd) {
        if (!metadata)
            logWarning("the pod sent a metadata service socket nobody asked for");
        else if (auto served = metadata->serve(std::move(r.fd)); !served)
            logWarning("metadata service: {}", served.error().message());
    }
    return true;
}

} // namespace

Result<PodExit> executePod(const PodPlan& plan, const ExecutionCallbacks& callbacks,
                           EarlyUserNamespace* userNamespace)
{
    // Everything the pod's processes need is laid out now: after clone they
    // only read it.
    // The relay's socket must exist before preparePod looks at what each
    // mount binds.
    NotifyRelay notify;
    if (!plan.notifySocket.empty()) BERTH_CHECK(notify.start(plan.podDir, plan.notifySocket));
    PreparedPod prepared;
    BERTH_CHECK(preparePod(plan, prepared));
    // The pod's HMAC key lives in its directory while it runs (and goes
    // with it), before any app can ask for a signature.
    if (callbacks.metadata) BERTH_CHECK(callbacks.metadata->saveKey(plan.podDir));

    sigset_t forwarded = forwardedSignals();
    SignalGuard signals;
    BERTH_CHECK(signals.start(forwarded));

    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        return Error::fromErrno("socketpair");
    UniqueFd ours(pair[0]);
    UniqueFd theirs(pair[1]);
    int oursFd = ours.get();
    int theirsFd = theirs.get();
    const sigset_t& original = signals.original();

    auto initBody = [&]() {
        ::close(oursFd);
        return runPodInit(prepared, theirsFd, forwarded, original);
    };
    BERTH_TRY(ChildProcess init,
              userNamespace
                  ? spawnInEarlyUserNamespace(*userNamespace, initBody, podCloneFlags(plan))
                  : spawnInUserNamespace(plan.idMap, initBody, podCloneFlags(plan)));
    theirs.reset();
    if (callbacks.started) callbacks.started(init.pid());

    PtyRelay pty;
    bool socketOpen = true;
    bool outputOpen = true;
    std::optional<int> finished;
    // The apps are gone: whatever the pod said or wrote is queued.
    auto drain = [&]() {
        while (socketOpen && handleMessage(oursFd, pty, callbacks.metadata, finished)) {
        }
        if (notify.fd() >= 0) notify.relay();
        if (pty.attached()) pty.drain();
    };
    while (true) {
        pollfd fds[7];
        nfds_t n = 0;
        fds[n++] = {init.pidFd(), POLLIN, 0};
        fds[n++] = {signals.fd(), POLLIN, 0};
        int socketIndex = -1, masterIndex = -1, stdinIndex = -1, metadataIndex = -1,
            notifyIndex = -1;
        if (socketOpen) {
            socketIndex = static_cast<int>(n);
            fds[n++] = {oursFd, POLLIN, 0};
        }
        if (pty.attached() && outputOpen) {
            masterIndex = static_cast<int>(n);
            fds[n++] = {pty.masterFd(), POLLIN, 0};
            if (pty.stdinOpen()) {
                stdinIndex = static_cast<int>(n);
                fds[n++] = {STDIN_FILENO, POLLIN, 0};
            }
        }
        if (callbacks.metadata && callbacks.metadata->pollFd() >= 0) {
            metadataIndex = static_cast<int>(n);
            fds[n++] = {callbacks.metadata->pollFd(), POLLIN, 0};
        }
        if (notify.fd() >= 0) {
            notifyIndex = static_cast<int>(n);
            fds[n++] = {notify.fd(), POLLIN, 0};
        }
        if (::poll(fds, n, -1) < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("poll");
        }
        if (socketIndex >= 0 && fds[socketIndex].revents)
            socketOpen = handleMessage(oursFd, pty, callbacks.metadata, finished);
        if (metadataIndex >= 0 && fds[metadataIndex].revents)
            if (auto served = callbacks.metadata->dispatch(); !served)
                logWarning("metadata service: {}", served.error().message());
        if (notifyIndex >= 0 && fds[notifyIndex].revents) notify.relay();
        if (masterIndex >= 0 && fds[masterIndex].revents) outputOpen = pty.pumpOutput();
        if (stdinIndex >= 0 && fds[stdinIndex].revents) pty.pumpInput();
        if (fds[1].revents) {
            signalfd_siginfo info;
            while (::read(signals.fd(), &info, sizeof info) == sizeof info) {
                int sig = static_cast<int>(info.ssi_signo);
                if (sig == SIGCHLD) continue;
                if (sig == SIGWINCH && pty.attached()) {
                    pty.resize();
                    continue;
                }
                (void)init.signal(sig);
            }
        }
        if (finished) {
            drain();
            return PodExit{*finished, std::move(init)};
        }
        if (fds[0].revents) {
            // Init left without saying (a set-up failure, a signal).
            drain();
            BERTH_TRY(int status, init.wait());
            return PodExit{status, ChildProcess()};
        }
    }
}

} // namespace berth
