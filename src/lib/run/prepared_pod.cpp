#include "prepared_pod.hpp"

#include <berth/run/capabilities.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

// Overlay options fit in one page; paths relative to the store keep many
// layers under that limit.
std::string relativeTo(const std::string& base, const std::string& path)
{
    if (!base.empty() && path.size() > base.size() + 1 && path.compare(0, base.size(), base) == 0 &&
        path[base.size()] == '/')
        return path.substr(base.size() + 1);
    return path;
}

// Where the options go: the kernel's overlayfs, or fuse-overlayfs, which
// knows neither userxattr nor volatile.
enum class OverlayDriver { Kernel, Fuse };

// `scaffold`, when given, goes above the image's layers.
Result<std::string> overlayOptions(OverlayDriver driver, const std::string& cwd,
                                   const RootfsPlan& rootfs, const std::string& scaffold = {})
{
    std::string data = "lowerdir=";
    if (!scaffold.empty()) data += relativeTo(cwd, scaffold) + ":";
    for (size_t i = 0; i < rootfs.lowerDirs.size(); ++i) {
        const std::string& dir = rootfs.lowerDirs[i];
        if (dir.find_first_of(",:") != std::string::npos)
            return Error("layer directory '" + dir +
                         "' contains ',' or ':', which overlay "
                         "options cannot express");
        data += (i ? ":" : "") + relativeTo(cwd, dir);
    }
    data += ",upperdir=" + relativeTo(cwd, rootfs.upperDir);
    data += ",workdir=" + relativeTo(cwd, rootfs.workDir);
    if (driver == OverlayDriver::Kernel) {
        data += ",userxattr";
        // Since Linux 5.10; overlay in a user namespace needs 5.11.
        if (rootfs.discardUpper) data += ",volatile";
    }
    if (data.size() >= 4000)
        return Error("too many layers for one overlay mount (" +
                     std::to_string(rootfs.lowerDirs.size()) + ")");
    return data;
}

std::string commonPrefix(const std::vector<std::string>& paths)
{
    if (paths.empty()) return "/";
    std::string prefix = paths[0];
    for (const auto& p : paths)
        while (!prefix.empty() && p.compare(0, prefix.size(), prefix) != 0)
            prefix.pop_back();
    size_t slash = prefix.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : prefix.substr(0, slash);
}

ExecTarget execTarget(const std::vector<std::string>& argv, const std::string& path)
{
    ExecTarget t;
    for (const auto& a : argv)
        t.argv.push_back(const_cast<char*>(a.c_str()));
    t.argv.push_back(nullptr);
    const std::string& command = argv[0];
    if (command.find('/') != std::string::npos) {
        t.candidates = {command};
        return t;
    }
    // execvp's search, done here so the child only calls execve.
    t.searchedPath = true;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        std::string dir = path.substr(start, end == std::string::npos ? end : end - start);
        t.candidates.push_back((dir.empty() ? "." : dir) + "/" + command);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return t;
}

} // namespace

Result<void> preparePod(const PodPlan& plan, PreparedPod& out)
{
    out.plan = &plan;
    out.podRoot = plan.podDir + "/root";
    out.lastCapability = lastCapabilityNumber();
    out.setGroupsAllowed = plan.idMap.kind != IdMap::Kind::Single;
    bool anySeccomp = false;
    for (const char* candidate : {"/usr/bin/fuse-overlayfs", "/usr/local/bin/fuse-overlayfs"})
        if (::access(candidate, X_OK) == 0) {
            out.fuseOverlayfs = candidate;
            break;
        }
    for (const auto& app : plan.apps)
        if (app.rootfs.kind == RootfsPlan::Kind::FuseOverlay && out.fuseOverlayfs.empty())
            return Error("fuse-overlayfs was asked for but is not installed (apt-get install "
                         "fuse-overlayfs)");
    std::vector<std::string> dirs{plan.podDir};
    for (const auto& app : plan.apps)
        dirs.insert(dirs.end(), app.rootfs.lowerDirs.begin(), app.rootfs.lowerDirs.end());
    out.mountCwd = commonPrefix(dirs);
    out.listenFds = plan.listenFds;
    for (int fd = 3; fd < 3 + plan.listenFds; ++fd)
        if (::fcntl(fd, F_GETFD) < 0)
            return Error("LISTEN_FDS=" + std::to_string(plan.listenFds) +
                         " names berth's pid, but fd " + std::to_string(fd) +
                         " is not open (is berth started by systemd socket activation?)");

    out.apps.resize(plan.apps.size());
    out.appsShareInitRoot = plan.apps.size() == 1;
    out.initRoot = out.appsShareInitRoot ? out.podRoot + "/apps/0" : out.podRoot;
    for (size_t i = 0; i < plan.apps.size(); ++i) {
        const AppPlan& app = plan.apps[i];
        PreparedApp& p = out.apps[i];
        p.plan = &app;
        p.mountPoint = out.podRoot + "/apps/" + std::to_string(i);
        p.pivotPath = "/apps/" + std::to_string(i);
        if (app.rootfs.kind == RootfsPlan::Kind::Overlay)
            p.scaffoldDir = out.podRoot + "/scaffold-" + std::to_string(i);
        BERTH_TRY(p.overlayData,
                  overlayOptions(OverlayDriver::Kernel, out.mountCwd, app.rootfs, p.scaffoldDir));
        // fuse-overlayfs daemonizes (and leaves our cwd) before it opens the
        // layers: it gets absolute paths; it has no length limit to mind.
        BERTH_TRY(std::string fuseData, overlayOptions(OverlayDriver::Fuse, "", app.rootfs));
        p.fuseArgs = {"fuse-overlayfs", "-o", fuseData, p.mountPoint};
        for (auto& a : p.fuseArgs)
            p.fuseArgv.push_back(a.data());
        p.fuseArgv.push_back(nullptr);
        for (const auto& m : app.mounts) {
            PreparedMount pm;
            pm.op = &m;
            pm.target = m.destination.size() > 1 ? m.destination.substr(1) : "";
            size_t slash = pm.target.rfind('/');
            pm.parent = slash == std::string::npos ? "" : pm.target.substr(0, slash);
            pm.base = slash == std::string::npos ? pm.target : pm.target.substr(slash + 1);
            pm.directory = m.directory;
            if (m.kind == MountOp::Kind::PodFile) {
                for (const PodFile& file : plan.etcFiles)
                    if (m.destination == "/etc/" + file.name) pm.podFile = &file;
                if (!pm.podFile) return Error("no generated file for " + m.destination);
                if (!p.scaffoldDir.empty() && !app.rootfs.readOnly)
                    pm.inScaffold = p.scaffoldDir + m.destination;
            }
            if (m.kind == MountOp::Kind::Bind && m.ownerUid < 0) {
                struct stat st;
                if (::stat(m.source.c_str(), &st) < 0)
                    return Error::fromErrno("volume source '" + m.source + "'");
                pm.directory = S_ISDIR(st.st_mode);
            }
            p.mounts.push_back(std::move(pm));
        }
        std::string path;
        for (const auto& e : app.env) {
            p.envp.push_back(const_cast<char*>(e.c_str()));
            if (e.starts_with("PATH=")) path = e.substr(5);
        }
        p.envp.push_back(nullptr);
        if (plan.listenFds > 0 && i == 0)
            for (size_t e = 0; e < app.env.size(); ++e)
                if (app.env[e].starts_with("LISTEN_PID=")) p.listenPidIndex = static_cast<int>(e);
        p.main = execTarget(app.argv, path);
        for (const auto& hook : app.preStart)
            if (!hook.argv.empty()) p.preStart.push_back(execTarget(hook.argv, path));
        for (const auto& hook : app.postStop)
            if (!hook.argv.empty()) p.postStop.push_back(execTarget(hook.argv, path));
        for (uint32_t gid : app.supplementaryGids)
            p.groups.push_back(gid);
        anySeccomp = anySeccomp || app.seccomp;
    }
    if (anySeccomp) {
        BERTH_TRY(out.seccomp, buildDefaultSeccompProgram());
    }
    return ok();
}

} // namespace berth
