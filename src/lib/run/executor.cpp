#include "child_report.hpp"
#include "pod_init.hpp"
#include "prepared_pod.hpp"
#include "pty.hpp"

#include <berth/appc/pod_metadata_service.hpp>
#include <berth/base/log.hpp>
#include <berth/run/executor.hpp>
#include <berth/stage/user_namespace.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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

// Handles one message from the pod; false when the socket is closed.
bool handleMessage(int socketFd, PtyRelay& pty, PodMetadataService* metadata)
{
    Received r = receive(socketFd);
    if (!r.got) return false;
    if (r.message.type == ChildMessage::Failure) {
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

Result<int> executePod(const PodPlan& plan, const ExecutionCallbacks& callbacks)
{
    // Everything the pod's processes need is laid out now: after clone they
    // only read it.
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

    BERTH_TRY(ChildProcess init, spawnInUserNamespace(
                                     plan.idMap,
                                     [&]() {
                                         ::close(oursFd);
                                         return runPodInit(prepared, theirsFd, forwarded, original);
                                     },
                                     podCloneFlags(plan)));
    theirs.reset();
    if (callbacks.started) callbacks.started(init.pid());

    PtyRelay pty;
    bool socketOpen = true;
    bool outputOpen = true;
    while (true) {
        pollfd fds[6];
        nfds_t n = 0;
        fds[n++] = {init.pidFd(), POLLIN, 0};
        fds[n++] = {signals.fd(), POLLIN, 0};
        int socketIndex = -1, masterIndex = -1, stdinIndex = -1, metadataIndex = -1;
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
        if (::poll(fds, n, -1) < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("poll");
        }
        if (socketIndex >= 0 && fds[socketIndex].revents)
            socketOpen = handleMessage(oursFd, pty, callbacks.metadata);
        if (metadataIndex >= 0 && fds[metadataIndex].revents)
            if (auto served = callbacks.metadata->dispatch(); !served)
                logWarning("metadata service: {}", served.error().message());
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
        if (fds[0].revents) {
            // The pod is gone: whatever it said last is still queued.
            while (socketOpen && handleMessage(oursFd, pty, callbacks.metadata)) {
            }
            if (pty.attached()) pty.drain();
            return init.wait();
        }
    }
}

} // namespace berth
