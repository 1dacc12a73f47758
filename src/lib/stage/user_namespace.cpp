#include <berth/base/file.hpp>
#include <berth/stage/id_map_writer.hpp>
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

Result<void> writeMaps(const IdMap& map, pid_t pid)
{
    BERTH_TRY(IdMapWriter writer, IdMapWriter::start(map, pid));
    return writer.finish();
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
        return explainUserNamespaceFailure(std::move(child).error(), map);
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

Error explainUserNamespaceFailure(Error error, const IdMap& map)
{
    if (error.errnum() == EPERM || error.errnum() == ENOSPC || error.errnum() == EINVAL) {
        auto why = checkUserNamespaceSupport(map);
        if (!why) return std::move(why).error();
    }
    return std::move(error).addContext("create user namespace");
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
