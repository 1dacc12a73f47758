#include <berth/base/child_process.hpp>
#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/stage/fault_hook.hpp>
#include <berth/stage/stage_process.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

namespace berth
{

namespace
{

// The answer a stage sends before it exits: 'O' and the payload, or 'E',
// errno (4 bytes) and the error's context chain.
constexpr char kOk = 'O';
constexpr char kFailed = 'E';
constexpr size_t kMaxAnswer = 64 << 20;

std::string encodeError(const Error& error)
{
    int32_t errnum = error.errnum();
    std::string chain;
    for (const auto& part : error.chain()) {
        if (part.empty()) continue;
        if (!chain.empty()) chain += ": ";
        chain += part;
    }
    std::string out(1, kFailed);
    out.append(reinterpret_cast<const char*>(&errnum), sizeof errnum);
    return out + chain;
}

int stageMain(const SandboxPolicy& policy, const std::function<Result<std::string>()>& work,
              int answerFd)
{
    auto sandbox = applySandbox(policy);
    if (!sandbox) {
        (void)writeAll(answerFd, encodeError(sandbox.error()));
        return 1;
    }
    runFaultHook(policy.stage);
    auto result = work();
    if (!result) {
        (void)writeAll(answerFd, encodeError(result.error()));
        return 1;
    }
    std::string answer(1, kOk);
    answer += *result;
    return writeAll(answerFd, answer) ? 0 : 1;
}

} // namespace

int threadCount()
{
    DIR* d = ::opendir("/proc/self/task");
    if (!d) return 0;
    int n = 0;
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n;
}

void noticeMissingProtections(const SandboxPolicy& policy)
{
    static std::set<std::string> noticed;
    if (!noticed.insert(policy.stage).second) return;
    SandboxReport report = probeSandbox(policy);
    std::string missing;
    auto add = [&](const std::string& what) {
        if (!missing.empty()) missing += "; ";
        missing += what;
    };
    if (!report.landlockAbi) add("no Landlock: " + report.landlockNote);
    if (!report.seccomp) add("no seccomp: " + report.seccompNote);
    if (policy.newNetworkNamespace && !report.networkNamespace)
        add("no network namespace: " + report.networkNote);
    if (!missing.empty())
        logWarning("the {} stage runs with less isolation ({}); see 'berth info'", policy.stage,
                   missing);
}

Result<std::string> runStage(const SandboxPolicy& policy,
                             const std::function<Result<std::string>()>& work)
{
    if (int threads = threadCount(); threads > 1)
        logDebug("{} stage forked from a process with {} threads", policy.stage, threads);
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
        return Error::fromErrno("socketpair for the " + policy.stage + " stage");
    UniqueFd parentEnd(fds[0]);
    UniqueFd childEnd(fds[1]);
    int parentFd = fds[0];
    int childFd = fds[1];
    auto child = ChildProcess::run([&]() {
        ::close(parentFd);
        return stageMain(policy, work, childFd);
    });
    if (!child) return std::move(child).error().addContext("start the " + policy.stage + " stage");
    childEnd.reset();
    auto answer = readAll(parentEnd.get(), kMaxAnswer);
    BERTH_TRY(int status, child->wait());
    if (!answer)
        return std::move(answer).error().addContext("read the " + policy.stage + " stage's answer");
    if (!answer->empty() && (*answer)[0] == kOk && status == 0) return answer->substr(1);
    if (answer->size() >= 1 + sizeof(int32_t) && (*answer)[0] == kFailed) {
        int32_t errnum;
        std::memcpy(&errnum, answer->data() + 1, sizeof errnum);
        return Error(answer->substr(1 + sizeof errnum), errnum);
    }
    return Error("the " + policy.stage + " stage ended with status " + std::to_string(status) +
                 " without an answer (run with --debug, or report a bug)");
}

} // namespace berth
