#include <berth/base/file.hpp>
#include <berth/stage/user_namespace.hpp>
#include <cerrno>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <string>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace berth
{

namespace
{

std::vector<std::string> mapHelperArgv(const char* helper, pid_t pid,
                                       const std::vector<IdRange>& ranges)
{
    std::vector<std::string> argv{helper, std::to_string(pid)};
    for (const auto& r : ranges) {
        argv.push_back(std::to_string(r.inside));
        argv.push_back(std::to_string(r.outside));
        argv.push_back(std::to_string(r.count));
    }
    return argv;
}

// Where newuidmap (0) or newgidmap (1) is, found in PATH once per process:
// a process may make several user namespaces (render, then run).
const Result<std::string>& helperPath(int which)
{
    static const Result<std::string> paths[] = {findProgram("newuidmap"), findProgram("newgidmap")};
    return paths[which];
}

Result<void> writeProcFile(pid_t pid, const char* name, const std::string& content)
{
    std::string path = "/proc/" + std::to_string(pid) + "/" + name;
    BERTH_TRY(UniqueFd fd, openPath(path, O_WRONLY));
    return writeAll(fd.get(), content).context("write " + path);
}

Result<void> writeMaps(const IdMap& map, pid_t pid)
{
    if (map.kind == IdMap::Kind::Single) {
        // Without newgidmap an unprivileged process must give up setgroups
        // before it may write its own gid_map.
        BERTH_CHECK(writeProcFile(pid, "setgroups", "deny"));
        BERTH_CHECK(writeProcFile(pid, "uid_map", IdMap::format(map.uids)));
        BERTH_CHECK(writeProcFile(pid, "gid_map", IdMap::format(map.gids)));
        return ok();
    }
    // Both helpers at once: each is a setuid exec of a millisecond or two,
    // and a warm `run` waits for them. Everything either needs is ready
    // before the first starts, and each starts without copying our memory
    // or trying every PATH entry, so the second is not kept waiting.
    const char* helpers[] = {"newuidmap", "newgidmap"};
    const std::vector<IdRange>* ranges[] = {&map.uids, &map.gids};
    std::vector<std::string> argvs[] = {mapHelperArgv(helpers[0], pid, *ranges[0]),
                                        mapHelperArgv(helpers[1], pid, *ranges[1])};
    auto start = [&](int i) -> Result<ChildProcess> {
        const Result<std::string>& path = helperPath(i);
        if (!path) return path.error();
        return ChildProcess::spawn(*path, argvs[i]);
    };
    Result<ChildProcess> children[] = {start(0), start(1)};
    for (int i = 0; i < 2; ++i) {
        const char* helper = helpers[i];
        if (!children[i])
            return std::move(children[i])
                .error()
                .addContext(std::string("cannot run ") + helper +
                            " (install the 'uidmap' package)");
        auto status = children[i]->wait();
        if (!status) return std::move(status).error().addContext(std::string("wait for ") + helper);
        if (*status != 0)
            return Error(std::string(helper) + " failed with status " + std::to_string(*status) +
                         " (check that it is setuid root or has file capabilities, and that "
                         "/etc/sub" +
                         (helper[3] == 'u' ? "uid" : "gid") + " grants these ranges)");
    }
    return ok();
}

} // namespace

Result<ChildProcess> spawnInUserNamespace(const IdMap& map, const std::function<int()>& body,
                                          unsigned long extraCloneFlags)
{
    if (map.kind == IdMap::Kind::Identity) return ChildProcess::run(body, extraCloneFlags);

    // The child waits on `go` until its maps are written: before that it has
    // no ids inside and cannot act as root.
    int goPipe[2];
    if (::pipe2(goPipe, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
    UniqueFd goRead(goPipe[0]);
    UniqueFd goWrite(goPipe[1]);
    int readFd = goRead.get();
    int writeFd = goWrite.get();
    auto child = ChildProcess::run(
        [&]() {
            ::close(writeFd);
            char verdict = 0;
            ssize_t n;
            do {
                n = ::read(readFd, &verdict, 1);
            } while (n < 0 && errno == EINTR);
            ::close(readFd);
            if (n != 1 || verdict != 'g') return 125;
            // Become container root; the kernel has already given us full
            // capabilities in the new namespace.
            if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0) return 125;
            if (map.kind != IdMap::Kind::Single) ::setgroups(0, nullptr);
            return body();
        },
        CLONE_NEWUSER | extraCloneFlags);
    if (!child) {
        Error error = std::move(child).error();
        if (error.errnum() == EPERM || error.errnum() == ENOSPC || error.errnum() == EINVAL) {
            auto why = checkUserNamespaceSupport(map);
            if (!why) return std::move(why).error();
        }
        return std::move(error).addContext("create user namespace");
    }
    goRead.reset();
    auto written = writeMaps(map, child->pid());
    char verdict = written ? 'g' : 'x';
    [[maybe_unused]] ssize_t n = ::write(goWrite.get(), &verdict, 1);
    goWrite.reset();
    if (!written) {
        (void)child->wait();
        return std::move(written).error().addContext("set up user namespace id map");
    }
    return std::move(child).value();
}

Result<int> runInUserNamespace(const IdMap& map, const std::function<int()>& body,
                               unsigned long extraCloneFlags)
{
    BERTH_TRY(ChildProcess child, spawnInUserNamespace(map, body, extraCloneFlags));
    return child.wait();
}

Result<void> checkUserNamespaceSupport(const IdMap& map)
{
    if (map.kind == IdMap::Kind::Identity) return ok();
    if (auto max = readFile("/proc/sys/user/max_user_namespaces"); max && std::stol(*max) == 0)
        return Error("user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0 "
                     "(ask an administrator to run 'sysctl user.max_user_namespaces=15000')");
    if (auto clone = readFile("/proc/sys/kernel/unprivileged_userns_clone");
        clone && clone->starts_with("0"))
        return Error("unprivileged user namespaces are disabled: "
                     "kernel.unprivileged_userns_clone is 0 (ask an administrator to set it "
                     "to 1)");
    if (auto aa = readFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
        aa && aa->starts_with("1"))
        return Error("AppArmor restricts unprivileged user namespaces "
                     "(kernel.apparmor_restrict_unprivileged_userns=1); an administrator can "
                     "install an AppArmor profile for berth allowing 'userns'");
    if (map.kind == IdMap::Kind::Subordinate || map.kind == IdMap::Kind::KeepId) {
        for (const char* helper : {"/usr/bin/newuidmap", "/usr/bin/newgidmap"}) {
            struct stat st;
            if (::stat(helper, &st) < 0)
                return Error(std::string(helper) + " is missing (install the 'uidmap' package)");
            if (!(st.st_mode & S_ISUID) &&
                ::getxattr(helper, "security.capability", nullptr, 0) <= 0)
                return Error(std::string(helper) +
                             " is neither setuid root nor has file capabilities (reinstall the "
                             "'uidmap' package)");
        }
    }
    return ok();
}

} // namespace berth
