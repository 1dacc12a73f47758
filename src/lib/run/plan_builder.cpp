#include <berth/appc/app_plan.hpp>
#include <berth/pod/pod_layout.hpp>
#include <berth/run/capabilities.hpp>
#include <berth/run/plan_builder.hpp>
#include <berth/run/user_resolution.hpp>
#include <berth/run/volumes.hpp>
#include <cstdint>
#include <sched.h>
#include <set>
#include <sys/mount.h>
#include <unistd.h>

namespace berth
{

unsigned long podCloneFlags(const PodPlan& plan)
{
    unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
    if (plan.network != NetworkMode::Host) flags |= CLONE_NEWNET;
    return flags;
}

namespace
{

MountOp op(MountOp::Kind kind, std::string destination, std::string source = {},
           std::string data = {}, unsigned long flags = 0)
{
    MountOp m;
    m.kind = kind;
    m.destination = std::move(destination);
    m.source = std::move(source);
    m.data = std::move(data);
    m.flags = flags;
    return m;
}

std::vector<std::string> commandLine(const AppOptions& options, const ResolvedApp& app)
{
    std::vector<std::string> entrypoint = app.spec.entrypoint;
    if (options.entrypoint)
        entrypoint = options.entrypoint->empty() ? std::vector<std::string>{}
                                                 : std::vector<std::string>{*options.entrypoint};
    // An ACI's exec is its whole command: arguments given replace it, as
    // COMMAND replaces an OCI image's Cmd.
    if (app.format == ImageFormat::Aci && !options.entrypoint)
        return options.command.empty() ? entrypoint : options.command;
    std::vector<std::string> argv = entrypoint;
    const auto& rest =
        options.command.empty() && !options.entrypoint ? app.spec.cmd : options.command;
    argv.insert(argv.end(), rest.begin(), rest.end());
    return argv;
}

std::string userSpec(const AppOptions& options, const AppSpec& spec)
{
    if (!options.user.empty()) return options.user;
    if (spec.group.empty() || spec.user.find(':') != std::string::npos) return spec.user;
    return spec.user + ":" + spec.group;
}

Result<std::vector<MountOp>> userVolumes(const RunOptions& options, const ResolvedApp& app,
                                         const PodLayout& layout)
{
    std::vector<MountOp> mounts;
    for (const auto& spec : options.volumes) {
        BERTH_TRY(MountOp m, parseBindVolume(spec));
        mounts.push_back(std::move(m));
    }
    for (const auto& spec : options.tmpfs) {
        BERTH_TRY(MountOp m, parseTmpfsVolume(spec));
        mounts.push_back(std::move(m));
    }
    if (app.appc)
        for (const auto& mount : app.appc->mounts) {
            // Empty volumes live in the pod directory, one per pod, shared by
            // every app that mounts them (the ACE validator's main and
            // sidekick meet there).
            bool empty = mount.kind == AppcMount::Kind::Empty;
            MountOp m = op(MountOp::Kind::Bind, mount.path,
                           empty ? layout.volumeDir(mount.volume) : mount.source);
            m.readOnly = mount.readOnly;
            if (empty) {
                m.ownerUid = mount.uid;
                m.ownerGid = mount.gid;
                m.mode = mount.mode;
            }
            mounts.push_back(std::move(m));
        }
    BERTH_CHECK(checkDuplicateDestinations(mounts));
    return mounts;
}

// Sets K=V in a final "K=V" list, replacing an earlier K.
void setEnvEntry(std::vector<std::string>& env, const std::string& key, const std::string& value)
{
    std::string entry = key + "=" + value;
    for (auto& e : env)
        if (e.compare(0, key.size() + 1, key + "=") == 0) {
            e = std::move(entry);
            return;
        }
    env.push_back(std::move(entry));
}

// A decimal number with nothing else around it, or -1.
int64_t strictNumber(const std::string& text, int64_t max)
{
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        return -1;
    int64_t n = std::stoll(text);
    return n > max ? -1 : n;
}

} // namespace

Result<void> planSystemdPassing(PodPlan& pod, const PlanContext& context)
{
    if (!context.lookup || pod.apps.empty()) return ok();
    // sd_listen_fds(3): the fds are berth's only when LISTEN_PID names it;
    // otherwise they were meant for a parent and are none of our business.
    auto listenPid = context.lookup("LISTEN_PID");
    auto listenFds = context.lookup("LISTEN_FDS");
    int64_t self = context.pid ? context.pid : static_cast<int64_t>(::getpid());
    if (listenPid && listenFds && strictNumber(*listenPid, INT32_MAX) == self) {
        // Bounded so that a stray value cannot make the pod walk a huge table.
        int64_t n = strictNumber(*listenFds, 4096);
        if (n < 0)
            return Error("LISTEN_FDS='" + *listenFds +
                         "' is not a number of file descriptors (at most 4096)");
        if (n > 0) {
            pod.listenFds = static_cast<int>(n);
            // The first app is the service: it gets the fds, as it gets stdin.
            AppPlan& app = pod.apps[0];
            setEnvEntry(app.env, "LISTEN_FDS", std::to_string(n));
            // Filled in with the app's own pid when it starts.
            setEnvEntry(app.env, "LISTEN_PID", "");
            if (auto names = context.lookup("LISTEN_FDNAMES"))
                setEnvEntry(app.env, "LISTEN_FDNAMES", *names);
        }
    }

    auto notify = context.lookup("NOTIFY_SOCKET");
    if (notify && !notify->empty()) {
        // sockaddr_un holds 107 bytes and a NUL; "@name" is an abstract name.
        if (((*notify)[0] != '/' && (*notify)[0] != '@') || notify->size() > 107)
            return Error("NOTIFY_SOCKET='" + *notify +
                         "' is neither a socket path nor an abstract name (@NAME) of at most "
                         "107 bytes");
        pod.notifySocket = *notify;
        for (AppPlan& app : pod.apps) {
            setEnvEntry(app.env, "NOTIFY_SOCKET", kNotifySocketInPod);
            MountOp relay =
                op(MountOp::Kind::Bind, kNotifySocketInPod, pod.podDir + "/" + kNotifySocketFile);
            relay.directory = false;
            app.mounts.push_back(std::move(relay));
        }
    }
    return ok();
}

std::vector<MountOp> baseMounts(const PodPlan& pod, const std::string& podDir)
{
    PodLayout layout{podDir};
    std::vector<MountOp> m;
    constexpr unsigned long secure = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    m.push_back(op(MountOp::Kind::Proc, "/proc", {}, {}, secure));
    m.push_back(
        op(MountOp::Kind::Tmpfs, "/dev", {}, "mode=755,size=65536k", MS_NOSUID | MS_NOEXEC));
    for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
        MountOp dev =
            op(MountOp::Kind::Device, std::string("/dev/") + node, std::string("/dev/") + node);
        dev.directory = false;
        m.push_back(std::move(dev));
    }
    // gid 5 ("tty") owns new ptys only when the map has it.
    std::string ptsData = "newinstance,ptmxmode=0666,mode=0620";
    if (pod.idMap.kind == IdMap::Kind::Identity || pod.idMap.gidCount() > 5) ptsData += ",gid=5";
    m.push_back(op(MountOp::Kind::Devpts, "/dev/pts", {}, ptsData, MS_NOSUID | MS_NOEXEC));
    m.push_back(op(MountOp::Kind::Symlink, "/dev/ptmx", "pts/ptmx"));
    m.push_back(op(MountOp::Kind::Tmpfs, "/dev/shm", {}, "mode=1777,size=65536k", secure));
    m.push_back(op(MountOp::Kind::Mqueue, "/dev/mqueue", {}, {}, secure));
    m.back().optional = true;
    m.push_back(op(MountOp::Kind::Symlink, "/dev/fd", "/proc/self/fd"));
    m.push_back(op(MountOp::Kind::Symlink, "/dev/stdin", "/proc/self/fd/0"));
    m.push_back(op(MountOp::Kind::Symlink, "/dev/stdout", "/proc/self/fd/1"));
    m.push_back(op(MountOp::Kind::Symlink, "/dev/stderr", "/proc/self/fd/2"));
    m.push_back(op(MountOp::Kind::Symlink, "/dev/core", "/proc/kcore"));
    MountOp sys = op(MountOp::Kind::Sysfs, "/sys", "/sys", {}, secure);
    sys.readOnly = true;
    m.push_back(std::move(sys));
    for (const char* name : {"hosts", "hostname", "resolv.conf"}) {
        MountOp etc = op(MountOp::Kind::PodFile, std::string("/etc/") + name, layout.etcFile(name));
        etc.directory = false;
        m.push_back(std::move(etc));
    }
    return m;
}

std::vector<MountOp> maskMounts()
{
    std::vector<MountOp> m;
    for (const char* path : {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                             "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                             "/proc/scsi", "/sys/firmware", "/sys/dev/block"}) {
        MountOp mask = op(MountOp::Kind::MaskFile, path, "/dev/null");
        mask.optional = true;
        m.push_back(std::move(mask));
    }
    for (const char* path :
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
        MountOp ro = op(MountOp::Kind::ReadOnly, path);
        ro.optional = true;
        ro.readOnly = true;
        m.push_back(std::move(ro));
    }
    return m;
}

Result<PodPlan> buildPodPlan(const RunOptions& options, const std::vector<ResolvedApp>& apps,
                             const PlanContext& context)
{
    if (options.apps.empty() || options.apps.size() != apps.size())
        return Error("no image given (see 'berth run --help')");
    PodLayout layout{context.podDir};
    PodPlan pod;
    pod.uuid = context.uuid;
    pod.podDir = context.podDir;
    pod.idMap = context.idMap;
    pod.network = options.network;
    pod.hostname = options.hostname;
    if (pod.hostname.empty()) {
        for (char c : context.uuid)
            if (c != '-' && pod.hostname.size() < 12) pod.hostname += c;
    }
    pod.etcFiles = {
        {"hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" +
                      pod.hostname + "\n"},
        {"hostname", pod.hostname + "\n"},
        {"resolv.conf", pod.network == NetworkMode::Host
                            ? context.hostResolvConf
                            : "# berth: this pod has no network (--net=none)\n"},
    };

    CapabilitySet baseCaps = options.privileged ? allCapabilities() : defaultCapabilities();
    BERTH_TRY(CapabilitySet caps,
              applyCapabilityChanges(baseCaps, options.capAdd, options.capDrop));

    std::set<std::string> names;
    for (size_t i = 0; i < apps.size(); ++i) {
        const AppOptions& appOptions = options.apps[i];
        const ResolvedApp& resolved = apps[i];
        AppPlan app;
        if (resolved.appc) {
            // The pod manifest named the apps (unique, checked by reifyPod).
            app.name = resolved.appc->name;
            if (!names.insert(app.name).second)
                return Error("two apps of the pod are named '" + app.name + "'");
        } else {
            app.name = !appOptions.name.empty()      ? appOptions.name
                       : !resolved.spec.name.empty() ? resolved.spec.name
                                                     : "app" + std::to_string(i);
            // Two apps of one image get distinct names, as appc requires.
            for (int n = 2; !names.insert(app.name).second; ++n)
                app.name = (appOptions.name.empty() ? resolved.spec.name : appOptions.name) + "-" +
                           std::to_string(n);
        }

        app.rootfs.lowerDirs = resolved.lowerDirs;
        app.rootfs.upperDir = layout.upperDir(i);
        app.rootfs.workDir = layout.workDir(i);
        app.rootfs.discardUpper = options.remove;
        app.rootfs.readOnly = options.readOnly || (resolved.appc && resolved.appc->readOnlyRootFs);
        if (context.forceFuseOverlay) app.rootfs.kind = RootfsPlan::Kind::FuseOverlay;
        if (app.rootfs.lowerDirs.empty())
            return Error("image of app '" + app.name + "' has no layers");

        app.argv = commandLine(appOptions, resolved);
        if (app.argv.empty() || app.argv[0].empty())
            return Error("no command given for '" + appOptions.image +
                         "' and the image sets none (give one after the image)");

        // The user.
        ResolvedUser user;
        std::string spec = userSpec(appOptions, resolved.spec);
        if (options.keepId && spec.empty())
            spec = std::to_string(context.callerUid) + ":" + std::to_string(context.callerGid);
        if (!spec.empty() && spec[0] == '/')
            return Error("user '" + spec + "' of app '" + app.name +
                         "': path ownership is not supported yet");
        BERTH_TRY(user, resolveUser(spec, resolved.passwdText, resolved.groupText)
                            .context("app '" + app.name + "'"));
        app.uid = user.uid;
        app.gid = user.gid;
        app.supplementaryGids = user.supplementaryGids;
        for (uint32_t gid : resolved.spec.supplementaryGids)
            app.supplementaryGids.push_back(gid);
        BERTH_CHECK(checkAppIds(app.uid, app.gid, app.supplementaryGids, pod.idMap)
                        .context("app '" + app.name + "'"));

        // The environment: image, then env files, then -e; berth's own
        // defaults only where the user and image set nothing.
        EnvList env = resolved.spec.env;
        // appc's own variables come with the image's: the user's -e may
        // still override them, as rkt's --set-env does.
        if (resolved.appc)
            for (const auto& [k, v] : resolved.appc->appcEnv)
                setEnv(env, k, v);
        setEnv(env, "container", "berth");
        for (size_t f = 0; f < appOptions.envFiles.size(); ++f) {
            const std::string& text =
                f < resolved.envFileTexts.size() ? resolved.envFileTexts[f] : std::string();
            BERTH_TRY(EnvList fileEnv, parseEnvFile(text, appOptions.envFiles[f], context.lookup));
            for (const auto& [k, v] : fileEnv)
                setEnv(env, k, v);
        }
        for (const auto& arg : appOptions.env) {
            BERTH_TRY(auto entry, parseEnvArgument(arg, context.lookup));
            if (entry) setEnv(env, entry->first, entry->second);
        }
        if (!hasEnv(env, "PATH")) setEnv(env, "PATH", kDefaultPath);
        if (!hasEnv(env, "HOME")) setEnv(env, "HOME", user.home.empty() ? "/" : user.home);
        if (!hasEnv(env, "HOSTNAME")) setEnv(env, "HOSTNAME", pod.hostname);
        if (options.tty && i == 0 && !hasEnv(env, "TERM")) setEnv(env, "TERM", "xterm");
        // Any ACI gets its name even outside an appc pod (a mixed pod).
        if (resolved.format == ImageFormat::Aci && !hasEnv(env, "AC_APP_NAME"))
            setEnv(env, "AC_APP_NAME", app.name);
        app.env = formatEnv(env);

        std::string workdir = !appOptions.workdir.empty() ? appOptions.workdir
                              : !resolved.spec.workingDirectory.empty()
                                  ? resolved.spec.workingDirectory
                                  : "/";
        BERTH_TRY(app.workingDirectory, cleanContainerPath(workdir).context("workdir"));

        app.capabilities = caps;
        app.noNewPrivileges = !options.privileged;
        app.seccomp = !options.privileged;
        // stdin and the terminal belong to the first app only.
        app.stdinAttached = i == 0 && (options.interactive || options.tty);
        app.tty = i == 0 && options.tty;
        if (resolved.appc) {
            for (const auto& argv : resolved.appc->preStart)
                app.preStart.push_back({argv});
            for (const auto& argv : resolved.appc->postStop)
                app.postStop.push_back({argv});
        } else {
            for (const auto& handler : resolved.spec.eventHandlers) {
                if (handler.name == "pre-start")
                    app.preStart.push_back({handler.exec});
                else if (handler.name == "post-stop")
                    app.postStop.push_back({handler.exec});
            }
        }

        // Mounts: the base set, the read-only tmpfs set, the user's, masks.
        BERTH_TRY(std::vector<MountOp> volumes, userVolumes(options, resolved, layout));
        app.mounts = baseMounts(pod, context.podDir);
        if (options.readOnly && options.readOnlyTmpfs)
            for (const char* path : {"/tmp", "/var/tmp", "/run"}) {
                bool taken = false;
                for (const auto& v : volumes)
                    taken = taken || v.destination == path;
                if (!taken)
                    app.mounts.push_back(
                        op(MountOp::Kind::Tmpfs, path, {}, "mode=1777", MS_NOSUID | MS_NODEV));
            }
        for (auto& v : volumes)
            app.mounts.push_back(std::move(v));
        if (!options.privileged)
            for (auto& m : maskMounts())
                app.mounts.push_back(std::move(m));
        pod.apps.push_back(std::move(app));
    }
    BERTH_CHECK(planSystemdPassing(pod, context));
    return pod;
}

} // namespace berth
