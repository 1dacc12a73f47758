#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/image/aci_manifest.hpp>
#include <berth/image/importer.hpp>
#include <berth/image/oci_config.hpp>
#include <berth/image/reference.hpp>
#include <berth/pod/pod.hpp>
#include <berth/render/render.hpp>
#include <berth/run/executor.hpp>
#include <berth/run/plan_builder.hpp>
#include <berth/run/run.hpp>
#include <cstdlib>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace berth
{

namespace
{

// Reads a small file of the image (its /etc/passwd) from the topmost layer
// that has it, resolving symlinks inside that layer only. A whiteout (a 0/0
// character device) hides the file below.
std::string readImageFile(const std::vector<std::string>& lowerDirs, const char* path)
{
    for (const auto& dir : lowerDirs) {
        auto dirFd = openDirectory(dir);
        if (!dirFd) continue;
        struct stat st;
        if (::fstatat(dirFd->get(), path, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        if (S_ISCHR(st.st_mode)) return {};
        open_how how{};
        how.flags = O_RDONLY | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        int fd = static_cast<int>(::syscall(SYS_openat2, dirFd->get(), path, &how, sizeof how));
        if (fd < 0) return {};
        UniqueFd owned(fd);
        auto text = readAll(owned.get(), 4 << 20);
        return text ? *text : std::string();
    }
    return {};
}

// The container id a host id stands for under `ranges`, or -1.
int64_t containerId(const std::vector<IdRange>& ranges, uint32_t host)
{
    for (const auto& r : ranges)
        if (host >= r.outside && host - r.outside < r.count)
            return static_cast<int64_t>(r.inside) + (host - r.outside);
    return -1;
}

// appc lets an app run as the owner of a file in its image ("/path"): the
// owner is read from the topmost layer that has the file and mapped back
// into the container's ids.
Result<void> resolvePathOwnership(AppSpec& spec, const std::vector<std::string>& lowerDirs,
                                  const IdMap& map)
{
    for (auto [field, isUser] : {std::pair{&spec.user, true}, std::pair{&spec.group, false}}) {
        if (field->empty() || (*field)[0] != '/') continue;
        std::string relative = field->substr(1);
        bool found = false;
        for (const auto& dir : lowerDirs) {
            struct stat st;
            if (::stat((dir + "/" + relative).c_str(), &st) < 0) continue;
            int64_t id =
                map.kind == IdMap::Kind::Identity
                    ? (isUser ? st.st_uid : st.st_gid)
                    : containerId(isUser ? map.uids : map.gids, isUser ? st.st_uid : st.st_gid);
            if (id < 0) return Error("owner of '" + *field + "' is not mapped into the container");
            *field = std::to_string(id);
            found = true;
            break;
        }
        if (!found)
            return Error(std::string(isUser ? "user" : "group") + " '" + *field +
                         "': no such file in the image");
    }
    return ok();
}

std::string shortName(const std::string& name)
{
    size_t slash = name.rfind('/');
    return slash == std::string::npos ? name : name.substr(slash + 1);
}

Result<ImageRecord> findImage(Store& store, const std::string& text, bool allowUnsigned)
{
    BERTH_TRY(ImageReference reference, ImageReference::parse(text));
    if (reference.transport == ImageReference::Transport::Stored)
        return store.index().resolve(text);
    ImportOptions options;
    options.allowUnsigned = allowUnsigned;
    return importImage(store, reference, options);
}

Result<ResolvedApp> resolveApp(Store& store, const RunOptions& options, const AppOptions& app,
                               const IdMap& map)
{
    ResolvedApp out;
    if (!options.rootfs.empty()) {
        if (!pathExists(options.rootfs))
            return Error("--rootfs '" + options.rootfs + "' does not exist");
        out.lowerDirs = {options.rootfs};
        out.spec.name = shortName(options.rootfs);
    } else {
        BERTH_TRY(ImageRecord image, findImage(store, app.image, options.allowUnsigned)
                                         .context("image '" + app.image + "'"));
        out.format = image.format;
        if (image.format == ImageFormat::Oci) {
            if (!image.configDigest) return Error("image '" + app.image + "' has no config");
            BERTH_TRY(std::string text, store.readBlob(*image.configDigest));
            BERTH_TRY(OciImageConfig config, parseOciConfig(text, "image config"));
            BERTH_TRY(out.spec, appSpecFromOciConfig(config, shortName(image.name)));
        } else {
            BERTH_TRY(AciImageManifest manifest, readAciManifest(store, image));
            out.spec = appSpecFromAciManifest(manifest);
        }
        // Designated: a defaulted idMap would read /etc/subuid again.
        RenderOptions render{.idMap = map};
        BERTH_TRY(out.lowerDirs,
                  prepareLayerTrees(store, image, render).context("image '" + app.image + "'"));
    }
    BERTH_CHECK(resolvePathOwnership(out.spec, out.lowerDirs, map));
    out.passwdText = readImageFile(out.lowerDirs, "etc/passwd");
    out.groupText = readImageFile(out.lowerDirs, "etc/group");
    for (const auto& file : app.envFiles) {
        BERTH_TRY(std::string text, readFile(file, 1 << 20).context("--env-file"));
        out.envFileTexts.push_back(std::move(text));
    }
    return out;
}

// The files every pod gets in /etc, bound over the image's.
Result<void> writeEtcFiles(const PodLayout& layout, const PodPlan& plan)
{
    BERTH_CHECK(makeDirectories(layout.dir + "/etc", 0755));
    std::string hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                        "127.0.1.1\t" +
                        plan.hostname + "\n";
    BERTH_CHECK(writePodFile(layout.etcFile("hosts"), hosts));
    BERTH_CHECK(writePodFile(layout.etcFile("hostname"), plan.hostname + "\n"));
    std::string resolv;
    if (plan.network == NetworkMode::Host) {
        auto host = readFile("/etc/resolv.conf", 1 << 20);
        resolv = host ? *host : std::string();
    } else {
        resolv = "# berth: this pod has no network (--net=none)\n";
    }
    BERTH_CHECK(writePodFile(layout.etcFile("resolv.conf"), resolv));
    return ok();
}

Result<void> makePodDirectories(const PodLayout& layout, const PodPlan& plan)
{
    BERTH_CHECK(makeDirectories(layout.rootDir(), 0755));
    for (size_t i = 0; i < plan.apps.size(); ++i) {
        BERTH_CHECK(makeDirectories(layout.upperDir(i), 0755));
        BERTH_CHECK(makeDirectories(layout.workDir(i), 0700));
    }
    for (const auto& app : plan.apps)
        for (const auto& m : app.mounts)
            if (m.ownerUid >= 0 && m.source.starts_with(plan.podDir + "/")) {
                // The plan names the pod's run/ directory; it is still in
                // prepare/ until it starts.
                std::string source = layout.dir + m.source.substr(plan.podDir.size());
                BERTH_CHECK(makeDirectories(source, 0755));
            }
    return writeEtcFiles(layout, plan);
}

} // namespace

Result<int> runPod(Store& store, const RunOptions& options)
{
    IdMap map = options.keepId ? IdMap::keepId() : IdMap::forCurrentUser();
    if (map.kind == IdMap::Kind::Single && !map.fallbackReason.empty())
        logWarning("{}", map.fallbackReason);
    if (options.keepId && map.kind == IdMap::Kind::Single)
        return Error("--userns=keep-id needs subordinate ids: " + map.fallbackReason);

    std::vector<ResolvedApp> resolved;
    PodInfo info;
    info.name = options.name;
    for (const auto& app : options.apps) {
        BERTH_TRY(ResolvedApp r, resolveApp(store, options, app, map));
        resolved.push_back(std::move(r));
        info.images.push_back(options.rootfs.empty() ? app.image : options.rootfs);
    }

    if (!options.name.empty()) {
        BERTH_TRY(auto pods, listPods(store));
        for (const auto& p : pods)
            if (p.info.name == options.name)
                return Error("the name '" + options.name + "' is already used by pod " +
                             p.info.uuid + " (remove it with 'berth rm " + p.info.uuid + "')");
    }

    BERTH_TRY(Pod pod, Pod::create(store, info));
    PlanContext context;
    context.uuid = pod.uuid();
    context.podDir = pod.dirIn(PodState::Run);
    context.idMap = map;
    context.lookup = processEnvLookup();
    context.callerUid = ::getuid();
    context.callerGid = ::getgid();
    if (const char* overlay = std::getenv("BERTH_OVERLAY");
        overlay && overlay == std::string("fuse"))
        context.forceFuseOverlay = true;
    auto plan = buildPodPlan(options, resolved, context);
    if (!plan) {
        (void)pod.destroy(map);
        return std::move(plan).error();
    }
    PodLayout preparing{pod.dir()};
    if (auto made = makePodDirectories(preparing, *plan); !made) {
        (void)pod.destroy(map);
        return std::move(made).error();
    }
    BERTH_CHECK(pod.moveTo(PodState::Run));

    auto status = executePod(*plan);
    int exitStatus = status ? *status : 125;
    if (auto moved = pod.moveTo(PodState::Exited); !moved)
        logWarning("{}", moved.error().message());
    else if (auto written = pod.writeExitStatus(exitStatus); !written)
        logWarning("{}", written.error().message());
    if (options.remove)
        if (auto removed = pod.destroy(map); !removed)
            logWarning("--rm: {}", removed.error().message());
    if (!status) return std::move(status).error();
    return exitStatus;
}

} // namespace berth
