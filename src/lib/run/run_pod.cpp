#include <berth/appc/app_plan.hpp>
#include <berth/appc/appc_pod.hpp>
#include <berth/appc/fd_passing.hpp>
#include <berth/appc/pod_image.hpp>
#include <berth/appc/pod_metadata_service.hpp>
#include <berth/appc/volume_option.hpp>
#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/image/aci_manifest.hpp>
#include <berth/image/oci_config.hpp>
#include <berth/pod/pod.hpp>
#include <berth/run/executor.hpp>
#include <berth/run/image_supply.hpp>
#include <berth/run/plan_builder.hpp>
#include <berth/run/run.hpp>
#include <berth/stage/early_user_namespace.hpp>
#include <cstdlib>
#include <fcntl.h>
#include <linux/openat2.h>
#include <memory>
#include <optional>
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

// The image's layer trees (rendered if the supply renders) and what
// planning reads from its config or manifest.
Result<ResolvedApp> resolveImage(Store& store, ImageSupply& supply, const ImageRecord& image,
                                 const std::string& what, const IdMap& map)
{
    ResolvedApp out;
    out.format = image.format;
    if (image.format == ImageFormat::Oci) {
        if (!image.configDigest) return Error("image '" + what + "' has no config");
        BERTH_TRY(std::string text, store.readBlob(*image.configDigest));
        BERTH_TRY(OciImageConfig config, parseOciConfig(text, "image config"));
        BERTH_TRY(out.spec, appSpecFromOciConfig(config, shortName(image.name)));
    } else {
        BERTH_TRY(AciImageManifest manifest, readAciManifest(store, image));
        out.spec = appSpecFromAciManifest(manifest);
    }
    BERTH_TRY(out.lowerDirs, supply.layerTrees(store, image, map).context("image '" + what + "'"));
    return out;
}

Result<ResolvedApp> resolveApp(Store& store, ImageSupply& supply, const RunOptions& options,
                               const AppOptions& app, const IdMap& map,
                               std::optional<ImageRecord>& record)
{
    ResolvedApp out;
    if (!options.rootfs.empty()) {
        if (!pathExists(options.rootfs))
            return Error("--rootfs '" + options.rootfs + "' does not exist");
        out.lowerDirs = {options.rootfs};
        out.spec.name = shortName(options.rootfs);
    } else {
        auto found = supply.find(store, app.image, options.allowUnsigned, options.fetch, map);
        if (!found) {
            // Most of these errors name the image already; say it once.
            Error error = std::move(found).error();
            if (error.message().find("'" + app.image + "'") == std::string::npos)
                error.addContext("image '" + app.image + "'");
            return error;
        }
        ImageRecord image = std::move(found).value();
        BERTH_TRY(out, resolveImage(store, supply, image, app.image, map));
        record = std::move(image);
    }
    return out;
}

// What planning reads from the image's files and the user's, once the app's
// spec is final (an appc pod may replace the image's app).
Result<void> readAppFiles(ResolvedApp& out, const AppOptions& app, const IdMap& map)
{
    BERTH_CHECK(resolvePathOwnership(out.spec, out.lowerDirs, map));
    out.passwdText = readImageFile(out.lowerDirs, "etc/passwd");
    out.groupText = readImageFile(out.lowerDirs, "etc/group");
    for (const auto& file : app.envFiles) {
        BERTH_TRY(std::string text, readFile(file, 1 << 20).context("--env-file"));
        out.envFileTexts.push_back(std::move(text));
    }
    return ok();
}

Result<std::vector<AciVolume>> appcVolumes(const RunOptions& options)
{
    std::vector<AciVolume> volumes;
    for (const auto& spec : options.appcVolumes) {
        BERTH_TRY(AciVolume volume, parseVolumeOption(spec).context("--volume '" + spec + "'"));
        volumes.push_back(std::move(volume));
    }
    return volumes;
}

// `berth run --pod-manifest FILE`: the apps, their images and names come
// from the manifest; each becomes one AppOptions so that the rest of the
// run treats it like an app typed on the command line.
Result<AppcPod> podFromManifestFile(Store& store, RunOptions& options)
{
    if (!options.apps.empty())
        return Error("--pod-manifest takes no IMAGE: the manifest names the pod's apps");
    if (!options.rootfs.empty()) return Error("--pod-manifest and --rootfs exclude each other");
    BERTH_TRY(std::string text, readFile(options.podManifest, 4 << 20).context("--pod-manifest"));
    BERTH_TRY(AciPodManifest manifest,
              parseAciPodManifest(text).context("--pod-manifest '" + options.podManifest + "'"));
    BERTH_TRY(std::vector<AciVolume> volumes, appcVolumes(options));
    BERTH_TRY(AppcPod pod,
              podFromManifest(
                  std::move(manifest),
                  [&](const AciRuntimeImage& image) {
                      return resolvePodImage(store, image,
                                             PodImageTrust{options.allowUnsigned, std::nullopt});
                  },
                  std::move(volumes))
                  .context("--pod-manifest '" + options.podManifest + "'"));
    for (size_t i = 0; i < pod.manifest.apps.size(); ++i) {
        AppOptions app;
        app.image = pod.images[i].record.id;
        app.name = pod.manifest.apps[i].name;
        options.apps.push_back(std::move(app));
    }
    return pod;
}

// `berth run IMAGE [--- IMAGE]...` where every image is an ACI: an appc pod
// whose manifest berth writes (and serves to the apps).
Result<AppcPod> podFromRunImages(Store& store, const RunOptions& options,
                                 const std::vector<std::optional<ImageRecord>>& records)
{
    std::vector<PodAppSource> sources;
    for (size_t i = 0; i < records.size(); ++i) {
        const AppOptions& app = options.apps[i];
        PodAppSource source;
        BERTH_TRY(source.image, loadPodImage(store, *records[i]));
        source.name = app.name;
        // The command given replaces the ACI's exec; the pod manifest says
        // so, so that what /pod/manifest tells the app is what runs.
        if (!app.command.empty() && source.image.manifest.app) {
            AciApp replaced = *source.image.manifest.app;
            replaced.exec = app.command;
            source.app = std::move(replaced);
        }
        sources.push_back(std::move(source));
    }
    BERTH_TRY(std::vector<AciVolume> volumes, appcVolumes(options));
    return podFromImages(std::move(sources), std::move(volumes));
}

// The metadata service of an appc pod and the apps' appc plans. In the
// pod's own network namespace every port is free, so a fixed one is used
// and the pod's init listens on it; with --net=host the apps share the
// host's loopback, so stage0 listens on a port the kernel picks.
Result<std::unique_ptr<PodMetadataService>> startMetadataService(const AppcPod& appcPod,
                                                                 const std::string& uuid,
                                                                 NetworkMode network,
                                                                 std::vector<ResolvedApp>& apps)
{
    std::unique_ptr<PodMetadataService> service;
    if (network == NetworkMode::Host) {
        BERTH_TRY(UniqueFd listener, createLoopbackListener(0).context("metadata service"));
        BERTH_TRY(uint16_t port, listenerPort(listener.get()));
        BERTH_TRY(service, PodMetadataService::prepare(appcPod, uuid, port));
        BERTH_CHECK(service->serve(std::move(listener)).context("metadata service"));
    } else {
        BERTH_TRY(service, PodMetadataService::prepare(appcPod, uuid));
    }
    BERTH_TRY(std::vector<AppcAppPlan> plans, planAppcApps(appcPod, service->url()));
    for (size_t i = 0; i < plans.size() && i < apps.size(); ++i) {
        apps[i].spec = plans[i].spec;
        apps[i].appc = std::move(plans[i]);
    }
    return service;
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
    return ok();
}

} // namespace

Result<EarlyUserNamespace> startDefaultPodUserNamespace()
{
    return EarlyUserNamespace::start(IdMap::forCurrentUser(), true);
}

Result<EarlyUserNamespace> startPodUserNamespace(const RunOptions& options,
                                                 std::optional<EarlyUserNamespace> speculative)
{
    if (speculative && !options.keepId && options.network != NetworkMode::Host)
        return std::move(*speculative);
    speculative.reset();
    IdMap map = options.keepId ? IdMap::keepId() : IdMap::forCurrentUser();
    if (options.keepId && map.kind == IdMap::Kind::Single)
        return Error("--userns=keep-id needs subordinate ids: " + map.fallbackReason);
    return EarlyUserNamespace::start(map, options.network != NetworkMode::Host);
}

Result<int> runPod(Store& store, const RunOptions& requested, ImageSupply& supply,
                   EarlyUserNamespace userNamespace)
{
    // A copy: a pod manifest adds the apps it names.
    RunOptions options = requested;
    const IdMap map = userNamespace.map();

    std::vector<ResolvedApp> resolved;
    std::optional<AppcPod> appcPod;
    PodInfo info;
    info.name = options.name;
    if (!options.podManifest.empty()) {
        BERTH_TRY(appcPod, podFromManifestFile(store, options));
        for (size_t i = 0; i < appcPod->images.size(); ++i) {
            const ImageRecord& image = appcPod->images[i].record;
            BERTH_TRY(ResolvedApp r, resolveImage(store, supply, image, image.id, map));
            resolved.push_back(std::move(r));
            info.images.push_back(image.name.empty() ? image.id : image.name);
        }
    } else {
        std::vector<std::optional<ImageRecord>> records;
        for (const auto& app : options.apps) {
            std::optional<ImageRecord> record;
            BERTH_TRY(ResolvedApp r, resolveApp(store, supply, options, app, map, record));
            resolved.push_back(std::move(r));
            records.push_back(std::move(record));
            info.images.push_back(options.rootfs.empty() ? app.image : options.rootfs);
        }
        bool allAci = !resolved.empty() && options.rootfs.empty();
        for (const auto& r : resolved)
            allAci = allAci && r.format == ImageFormat::Aci;
        if (allAci) {
            BERTH_TRY(appcPod, podFromRunImages(store, options, records));
        } else if (!options.appcVolumes.empty()) {
            return Error("--volume " + options.appcVolumes[0] +
                         ": appc volumes fill ACI mount points, and this pod runs other images "
                         "(use -v SRC:DST)");
        }
    }

    // Only now: until the images are resolved the warm path may still hand
    // the run to the engine, which would warn again.
    if (!map.fallbackReason.empty()) warnSingleIdMapOnce(map);

    if (!options.name.empty()) {
        BERTH_TRY(auto pods, listPods(store));
        for (const auto& p : pods)
            if (p.info.name == options.name)
                return Error("the name '" + options.name + "' is already used by pod " +
                             p.info.uuid + " (remove it with 'berth rm " + p.info.uuid + "')");
    }

    // Recorded in pod.json (written anyway) for `berth image gc`.
    const std::string treesPrefix = store.privatePath("trees/");
    for (const auto& r : resolved)
        for (const auto& lower : r.lowerDirs)
            if (lower.starts_with(treesPrefix))
                info.trees.push_back(lower.substr(treesPrefix.size()));
    BERTH_TRY(Pod pod, Pod::create(store, info));
    // Everything that can fail from here on removes the new pod again.
    auto fail = [&](Error error) -> Result<int> {
        (void)pod.destroy(map);
        return error;
    };
    std::unique_ptr<PodMetadataService> metadata;
    if (appcPod) {
        auto service = startMetadataService(*appcPod, pod.uuid(), options.network, resolved);
        if (!service) return fail(std::move(service).error());
        metadata = std::move(*service);
    }
    for (size_t i = 0; i < resolved.size(); ++i)
        if (auto read = readAppFiles(resolved[i], options.apps[i], map); !read)
            return fail(std::move(read).error());

    PlanContext context;
    context.uuid = pod.uuid();
    context.podDir = pod.dirIn(PodState::Run);
    context.idMap = map;
    context.lookup = processEnvLookup();
    context.callerUid = ::getuid();
    context.callerGid = ::getgid();
    if (options.network == NetworkMode::Host) {
        auto resolv = readFile("/etc/resolv.conf", 1 << 20);
        context.hostResolvConf = resolv ? *resolv : std::string();
    }
    if (const char* overlay = std::getenv("BERTH_OVERLAY");
        overlay && overlay == std::string("fuse"))
        context.forceFuseOverlay = true;
    auto plan = buildPodPlan(options, resolved, context);
    if (!plan) return fail(std::move(plan).error());
    // With --net=host stage0 already listens on the host's loopback.
    if (metadata && options.network != NetworkMode::Host) plan->metadataPort = metadata->port();
    PodLayout preparing{pod.dir()};
    if (auto made = makePodDirectories(preparing, *plan); !made)
        return fail(std::move(made).error());
    BERTH_CHECK(pod.moveTo(PodState::Run));

    ExecutionCallbacks callbacks;
    callbacks.metadata = metadata.get();
    // Its init may still be leaving; `ended` reaps it once the pod is
    // removed or recorded, which need not wait for that.
    auto ended = executePod(*plan, callbacks, &userNamespace);
    // The apps are gone: nobody is left to ask.
    metadata.reset();
    int exitStatus = ended ? ended->status : 125;
    if (options.remove) {
        // Straight to removal: an exit status written only to be deleted
        // would cost a file on every --rm run.
        if (auto removed = pod.destroy(map); !removed)
            logWarning("--rm: {}", removed.error().message());
    } else if (auto moved = pod.moveTo(PodState::Exited); !moved) {
        logWarning("{}", moved.error().message());
    } else if (auto written = pod.writeExitStatus(exitStatus); !written) {
        logWarning("{}", written.error().message());
    }
    if (!ended) return std::move(ended).error();
    return exitStatus;
}

} // namespace berth
