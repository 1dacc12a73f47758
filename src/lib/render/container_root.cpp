#include <berth/base/file.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/render/container_root.hpp>
#include <berth/stage/fault_hook.hpp>
#include <berth/stage/stage_process.hpp>
#include <berth/stage/user_namespace.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace berth
{

namespace
{

// The child reports failure as errno (4 bytes) followed by the message.
void reportError(int fd, const Error& error)
{
    int32_t errnum = error.errnum();
    std::string chain;
    for (const auto& part : error.chain()) {
        if (part.empty()) continue;
        if (!chain.empty()) chain += ": ";
        chain += part;
    }
    std::string report(reinterpret_cast<const char*>(&errnum), sizeof errnum);
    report += chain;
    (void)writeAll(fd, report);
}

// Runs body in a child inside a user namespace for `map` (none for
// Identity), sandboxed by `policy` when given; the child's Error comes back
// over a pipe.
Result<void> runInChild(const IdMap& map, const SandboxPolicy* policy,
                        const std::function<Result<void>()>& body)
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
    UniqueFd readEnd(fds[0]);
    UniqueFd writeEnd(fds[1]);
    int reportFd = fds[1];
    // A network namespace made with the user namespace is owned by it: the
    // render stage gets one with no interfaces at no extra privilege.
    unsigned long flags = policy && policy->newNetworkNamespace ? CLONE_NEWNET : 0;
    SandboxPolicy applied;
    if (policy) {
        applied = *policy;
        applied.newNetworkNamespace = false; // made by the clone above
    }
    // In a user namespace with the subordinate map, container root may
    // chown to mapped ids and bypass permission checks on files owned by
    // them; we hold no privilege outside it.
    auto child = spawnInUserNamespace(
        map,
        [&]() -> int {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the caller
            if (policy) {
                auto sandbox = applySandbox(applied);
                if (!sandbox) {
                    reportError(reportFd, sandbox.error());
                    return 1;
                }
                runFaultHook(applied.stage);
            }
            auto result = body();
            if (result) return 0;
            reportError(reportFd, result.error());
            return 1;
        },
        flags);
    if (!child) return std::move(child).error();
    writeEnd.reset();
    auto report = readAll(readEnd.get(), 1 << 20);
    BERTH_TRY(int status, child->wait());
    if (status == 0) return ok();
    if (report && report->size() >= sizeof(int32_t)) {
        int32_t errnum;
        std::memcpy(&errnum, report->data(), sizeof errnum);
        return Error(report->substr(sizeof errnum), errnum);
    }
    return Error("user namespace child failed with status " + std::to_string(status));
}

} // namespace

Result<void> runAsContainerRoot(const IdMap& map, const std::function<Result<void>()>& body)
{
    if (map.kind == IdMap::Kind::Identity)
        return body(); // already root: ids are written as they are
    return runInChild(map, nullptr, body);
}

Result<void> runRenderStage(const IdMap& map, const SandboxPolicy& policy,
                            const std::function<Result<void>()>& body)
{
    noticeMissingProtections(policy);
    return runInChild(map, &policy, body);
}

Result<void> removeTreeAsContainerRoot(const IdMap& map, const std::string& path)
{
    if (!pathExists(path)) return ok();
    return runAsContainerRoot(map, [&]() { return removeTree(path); })
        .context("remove '" + path + "'");
}

} // namespace berth
