#include "stage_seccomp.hpp"

#include <berth/base/child_process.hpp>
#include <berth/base/file.hpp>
#include <berth/stage/sandbox.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace berth
{

namespace
{

Result<void> writeSelf(const char* name, const std::string& content)
{
    std::string path = std::string("/proc/self/") + name;
    BERTH_TRY(UniqueFd fd, openPath(path, O_WRONLY | O_CLOEXEC));
    return writeAll(fd.get(), content).context("write " + path);
}

// A network namespace of our own. Real root (or a process already holding
// CAP_SYS_ADMIN in its user namespace) unshares it directly; anyone else
// first makes a user namespace in which they keep their own uid and gid,
// the only map an unprivileged process may write for itself.
Result<void> unshareNetwork()
{
    if (::unshare(CLONE_NEWNET) == 0) return ok();
    if (errno != EPERM) return Error::fromErrno("unshare network namespace");
    uid_t uid = ::geteuid();
    gid_t gid = ::getegid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
        return Error::fromErrno("unshare user and network namespace");
    // Without newgidmap a process must give up setgroups before it may
    // write its own gid_map.
    BERTH_CHECK(writeSelf("setgroups", "deny"));
    BERTH_CHECK(writeSelf("uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n"));
    BERTH_CHECK(writeSelf("gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n"));
    return ok();
}

std::string seccompMissing()
{
    return "berth was built without libseccomp (install libseccomp-dev and rebuild)";
}

} // namespace

Result<SandboxReport> applySandbox(const SandboxPolicy& policy)
{
    SandboxReport report;
    // Never outlive stage0: a stage orphaned mid-download or mid-render
    // would go on writing into the store.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() == 1) return Error("stage0 exited");

    if (policy.newNetworkNamespace) {
        auto net = unshareNetwork();
        if (net) {
            report.networkNamespace = true;
        } else {
            report.networkNote = net.error().message() + "; sockets are denied by seccomp instead";
        }
    } else {
        report.networkNote = "not asked for";
    }

    // Once set, nothing this process execs (gpg) can gain privilege through
    // setuid bits or file capabilities; it is also what lets an
    // unprivileged process load seccomp and Landlock.
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return Error::fromErrno("set no_new_privs");
    report.noNewPrivs = true;

    int abi = landlockAbi(&report.landlockNote);
    if (abi > 0 && abi < 2 && policy.needsRefer) {
        report.landlockNote =
            "Landlock ABI 1 cannot allow the links " + policy.stage + " makes (Linux >= 5.19 can)";
        abi = 0;
    }
    if (abi > 0) {
        BERTH_CHECK(applyLandlock(policy.paths, abi).context(policy.stage + " stage sandbox"));
        report.landlockAbi = abi;
    }

    if (stageSeccompBuiltIn()) {
        BERTH_CHECK(loadStageSeccomp(policy.denyNetwork).context(policy.stage + " stage sandbox"));
        report.seccomp = true;
    } else {
        report.seccompNote = seccompMissing();
    }
    return report;
}

SandboxReport probeSandbox(const SandboxPolicy& policy)
{
    SandboxReport report;
    report.noNewPrivs = true; // prctl(PR_SET_NO_NEW_PRIVS) exists since Linux 3.5
    report.landlockAbi = landlockAbi(&report.landlockNote);
    if (report.landlockAbi == 1 && policy.needsRefer) {
        report.landlockAbi = 0;
        report.landlockNote =
            "Landlock ABI 1 cannot allow the links " + policy.stage + " makes (Linux >= 5.19 can)";
    }
    report.seccomp = stageSeccompBuiltIn();
    if (!report.seccomp) report.seccompNote = seccompMissing();
    if (!policy.newNetworkNamespace) {
        report.networkNote = "not asked for";
        return report;
    }
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) < 0) {
        report.networkNote = std::string("cannot probe: ") + std::strerror(errno);
        return report;
    }
    UniqueFd readEnd(pipeFds[0]);
    UniqueFd writeEnd(pipeFds[1]);
    int writeFd = pipeFds[1];
    auto child = ChildProcess::run([&]() {
        auto net = unshareNetwork();
        std::string why = net ? "" : net.error().message();
        (void)writeAll(writeFd, why);
        return net ? 0 : 1;
    });
    writeEnd.reset();
    if (!child) {
        report.networkNote = child.error().message();
        return report;
    }
    auto why = readAll(readEnd.get(), 4096);
    auto status = child->wait();
    report.networkNamespace = status && *status == 0;
    if (!report.networkNamespace)
        report.networkNote = (why && !why->empty() ? *why : "cannot unshare") +
                             "; sockets are denied by seccomp instead";
    return report;
}

} // namespace berth
