#include <berth/stage/early_user_namespace.hpp>
#include <berth/stage/loopback.hpp>
#include <berth/stage/user_namespace.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth
{

namespace
{

// Reads exactly one value, or fails when the writer went away first.
bool readValue(int fd, int32_t& value)
{
    ssize_t n;
    do {
        n = ::read(fd, &value, sizeof value);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(sizeof value);
}

void writeValue(int fd, int32_t value)
{
    [[maybe_unused]] ssize_t n = ::write(fd, &value, sizeof value);
}

// In the holder: a network namespace of the new user namespace's own, with
// its loopback up (as every pod's is). 0, or the errno of what failed.
int32_t makeNetworkNamespace()
{
    // The holder has every capability in the namespace it created, mapped
    // or not yet.
    if (::unshare(CLONE_NEWNET) < 0) return errno;
    return bringLoopbackUp();
}

} // namespace

Result<EarlyUserNamespace> EarlyUserNamespace::start(const IdMap& map, bool withNetwork)
{
    EarlyUserNamespace early;
    early.map_ = map;
    if (map.kind == IdMap::Kind::Identity) return early; // real root: none needed

    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
    UniqueFd waitEnd(pipeFds[0]);
    early.release_ = UniqueFd(pipeFds[1]);
    UniqueFd reportEnd;
    if (withNetwork) {
        if (::pipe2(pipeFds, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
        early.networkReport_ = UniqueFd(pipeFds[0]);
        reportEnd = UniqueFd(pipeFds[1]);
    }
    int waitFd = waitEnd.get();
    int releaseFd = early.release_.get();
    int reportFd = reportEnd ? reportEnd.get() : -1;
    int reportReadFd = early.networkReport_ ? early.networkReport_.get() : -1;
    // The holder waits: for the release, or for berth to die (its end of
    // the pipe closes then, and the death signal covers the rest).
    auto holder = ChildProcess::run(
        [waitFd, releaseFd, reportFd, reportReadFd]() {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (reportFd >= 0) {
                writeValue(reportFd, makeNetworkNamespace());
                ::close(reportFd);
                ::close(reportReadFd);
            }
            // Nothing of berth's (store locks, the index) stays open here.
            ::close(releaseFd);
            if (waitFd > 3) ::close_range(3, static_cast<unsigned>(waitFd) - 1, 0);
            ::close_range(static_cast<unsigned>(waitFd) + 1, ~0U, 0);
            char byte;
            ssize_t n;
            do {
                n = ::read(waitFd, &byte, 1);
            } while (n < 0 && errno == EINTR);
            return 0;
        },
        CLONE_NEWUSER);
    if (!holder) return explainUserNamespaceFailure(std::move(holder).error(), map);
    early.holder_ = std::move(holder).value();
    auto writer = IdMapWriter::start(map, early.holder_.pid());
    if (!writer) return std::move(writer).error().addContext("set up user namespace id map");
    early.writer_.emplace(std::move(writer).value());
    return early;
}

Result<int> EarlyUserNamespace::ready()
{
    if (namespaceFd_) return namespaceFd_.get();
    if (map_.kind == IdMap::Kind::Identity) return Error("no user namespace is needed as root");
    if (!writer_) return Error("the user namespace was not started");
    auto written = writer_->finish();
    writer_.reset();
    if (!written) return std::move(written).error().addContext("set up user namespace id map");
    std::string path = "/proc/" + std::to_string(holder_.pid()) + "/ns/user";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::fromErrno("open " + path);
    namespaceFd_ = UniqueFd(fd);
    if (networkReport_) {
        int32_t err = 0;
        bool reported = readValue(networkReport_.get(), err);
        networkReport_.reset();
        if (!reported) return Error("the pod's network namespace could not be made");
        if (err != 0) return Error::fromErrno("create the pod's network namespace", err);
        path = "/proc/" + std::to_string(holder_.pid()) + "/ns/net";
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return Error::fromErrno("open " + path);
        networkFd_ = UniqueFd(fd);
    }
    // The fds keep the namespaces now; the holder may go. It is reaped
    // when this object goes, after the pod: waiting for it here would
    // only delay the pod.
    release_.reset();
    return namespaceFd_.get();
}

Result<ChildProcess> spawnInEarlyUserNamespace(EarlyUserNamespace& early,
                                               const std::function<int()>& body,
                                               unsigned long extraCloneFlags)
{
    if (early.map().kind == IdMap::Kind::Identity) return ChildProcess::run(body, extraCloneFlags);
    BERTH_TRY(int namespaceFd, early.ready());

    // The middle process enters the namespace, makes the others (owned by
    // it, so that mounting is allowed there) and forks the child as ours;
    // it reports the child's pid, or the errno of what failed, as one value.
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
    UniqueFd readEnd(pipeFds[0]);
    UniqueFd writeEnd(pipeFds[1]);
    int reportFd = writeEnd.get();
    bool singleMap = early.map().kind == IdMap::Kind::Single;
    int networkFd = early.networkFd();
    if (networkFd >= 0) extraCloneFlags &= ~static_cast<unsigned long>(CLONE_NEWNET);
    auto middle = ChildProcess::run([&]() {
        auto failed = [reportFd](int32_t step) {
            writeValue(reportFd, -(errno * 4 + step));
            return 125;
        };
        if (::setns(namespaceFd, CLONE_NEWUSER) < 0) return failed(0);
        if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0) return failed(1);
        if (!singleMap) ::setgroups(0, nullptr);
        if (networkFd >= 0 && ::setns(networkFd, CLONE_NEWNET) < 0) return failed(2);
        // With CLONE_NEWPID the next child is the new namespace's init.
        if (::unshare(static_cast<int>(extraCloneFlags)) < 0) return failed(2);
        struct clone_args args;
        std::memset(&args, 0, sizeof args);
        // The exit signal is ours (SIGCHLD to berth): clone3 wants 0 here.
        args.flags = CLONE_PARENT;
        pid_t pid = static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
        if (pid < 0) return failed(3);
        if (pid == 0) {
            ::close(reportFd);
            ::_exit(body());
        }
        writeValue(reportFd, pid);
        return 0;
    });
    if (!middle) return std::move(middle).error().addContext("start the pod's first process");
    writeEnd.reset();
    int32_t value = 0;
    bool reported = readValue(readEnd.get(), value);
    (void)middle->wait();
    if (!reported) return Error("the pod's first process could not be started");
    if (value < 0) {
        static const char* steps[] = {"enter the pod's user namespace", "become root in it",
                                      "create the pod's namespaces", "fork the pod's init"};
        int code = -value;
        return Error::fromErrno(steps[code % 4], code / 4);
    }
    int pidFd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(value), 0));
    if (pidFd < 0) {
        int err = errno;
        ::kill(value, SIGKILL);
        ::waitpid(value, nullptr, 0);
        return Error::fromErrno("pidfd_open of the pod's init", err);
    }
    return ChildProcess::adopt(value, UniqueFd(pidFd));
}

} // namespace berth
