#include "mount_path.hpp"

#include <algorithm>
#include <berth/appc/appc_pod.hpp>
#include <berth/base/log.hpp>
#include <map>
#include <set>

namespace berth
{

namespace
{

Result<void> checkEmptyVolumeMode(const AciVolume& volume)
{
    if (volume.kind != "empty") return ok();
    const std::string& mode = volume.mode;
    bool octal = !mode.empty() && mode.size() <= 5 &&
                 std::all_of(mode.begin(), mode.end(), [](char c) { return c >= '0' && c <= '7'; });
    if (!octal || std::stoul(mode, nullptr, 8) > 07777)
        return Error("volume '" + volume.name + "': mode '" + mode +
                     "' is not an octal file mode such as 0755");
    if (volume.uid < 0 || volume.gid < 0 || volume.uid > 0xfffffffe || volume.gid > 0xfffffffe)
        return Error("volume '" + volume.name + "': uid and gid must be ids (0 to 4294967294)");
    return ok();
}

AciVolume implicitEmptyVolume(const std::string& name)
{
    AciVolume volume;
    volume.name = name;
    volume.kind = "empty";
    volume.mode = "0755";
    volume.uid = 0;
    volume.gid = 0;
    return volume;
}

// Adds or replaces volumes by name (late binding of --volume).
Result<void> mergeVolumes(std::vector<AciVolume>& into, std::vector<AciVolume> extra)
{
    std::set<std::string> given;
    for (auto& volume : extra) {
        if (!given.insert(volume.name).second)
            return Error("--volume " + volume.name + " is given twice");
        auto same = std::find_if(into.begin(), into.end(),
                                 [&](const AciVolume& v) { return v.name == volume.name; });
        if (same != into.end())
            *same = std::move(volume);
        else
            into.push_back(std::move(volume));
    }
    return ok();
}

std::string nameFromImage(const AciImageManifest& manifest)
{
    std::string_view base = manifest.name;
    if (auto slash = base.rfind('/'); slash != std::string_view::npos)
        base = base.substr(slash + 1);
    std::string name = sanitizeAcName(base);
    return name.empty() ? "app" : name;
}

} // namespace

Result<void> reifyPod(AppcPod& pod)
{
    AciPodManifest& m = pod.manifest;
    if (m.apps.size() != pod.images.size())
        return Error("pod: " + std::to_string(m.apps.size()) + " apps but " +
                     std::to_string(pod.images.size()) + " images");
    if (m.apps.empty()) return Error("pod: no app to run");
    if (m.acVersion.empty()) m.acVersion = "0.8.11";

    std::set<std::string> appNames;
    std::set<std::string> volumeNames;
    for (const auto& volume : m.volumes) {
        if (!volumeNames.insert(volume.name).second)
            return Error("pod: duplicate volume name '" + volume.name + "'");
        BERTH_CHECK(checkEmptyVolumeMode(volume));
    }
    std::set<std::string> used;

    for (size_t i = 0; i < m.apps.size(); ++i) {
        AciRuntimeApp& app = m.apps[i];
        const PodImage& image = pod.images[i];
        const std::string at = "app '" + app.name + "'";
        if (!isValidAcName(app.name))
            return Error(at + ": not a valid app name (lowercase letters, digits and '-')");
        if (!appNames.insert(app.name).second)
            return Error(at + ": two apps of that name in the pod");

        app.image.id = image.record.id;
        if (!app.image.name) app.image.name = image.manifest.name;
        if (app.image.labels.empty()) app.image.labels = image.manifest.labels;
        if (!app.app) {
            if (!image.manifest.app)
                return Error(at + ": image " + image.manifest.name +
                             " has no app to run; give one in the pod manifest");
            app.app = image.manifest.app;
        }

        for (auto& mount : app.mounts) {
            BERTH_TRY(mount.path, cleanMountPath(mount.path).context(at));
            if (mount.appVolume) {
                BERTH_CHECK(checkEmptyVolumeMode(*mount.appVolume).context(at));
            } else if (!volumeNames.contains(mount.volume)) {
                return Error(at + ": mount at " + mount.path + " names volume '" + mount.volume +
                             "', which the pod does not have (add --volume " + mount.volume +
                             ",kind=host,source=PATH or kind=empty)");
            } else {
                used.insert(mount.volume);
            }
        }

        for (const auto& point : app.app->mountPoints) {
            BERTH_TRY(
                std::string path,
                cleanMountPath(point.path).context(at + ": mount point '" + point.name + "'"));
            bool mounted = std::any_of(app.mounts.begin(), app.mounts.end(),
                                       [&](const AciPodMount& mo) { return mo.path == path; });
            if (mounted) continue;
            if (!volumeNames.contains(point.name)) {
                logInfo("{}: no volume for mount point '{}' ({}); using a new empty volume", at,
                        point.name, path);
                m.volumes.push_back(implicitEmptyVolume(point.name));
                volumeNames.insert(point.name);
            }
            used.insert(point.name);
            app.mounts.push_back(AciPodMount{point.name, path, std::nullopt});
        }

        // Nested or repeated targets: one mount would hide (part of) another.
        std::vector<std::string> paths;
        for (const auto& mount : app.mounts)
            paths.push_back(mount.path);
        std::sort(paths.begin(), paths.end());
        for (size_t a = 0; a + 1 < paths.size(); ++a) {
            const std::string& outer = paths[a];
            const std::string& inner = paths[a + 1];
            if (inner == outer || inner.starts_with(outer == "/" ? outer : outer + "/"))
                return Error(at + ": mounts at " + outer + " and " + inner + " overlap");
        }
    }

    for (const auto& volume : m.volumes)
        if (!used.contains(volume.name))
            logWarning("volume '{}' is not mounted by any app", volume.name);
    return ok();
}

Result<AppcPod> podFromImages(std::vector<PodAppSource> apps, std::vector<AciVolume> volumes,
                              AciNameValues podAnnotations)
{
    AppcPod pod;
    pod.manifest.acVersion = "0.8.11";
    pod.manifest.annotations = std::move(podAnnotations);
    BERTH_CHECK(mergeVolumes(pod.manifest.volumes, std::move(volumes)));

    std::set<std::string> taken;
    for (const auto& source : apps)
        if (!source.name.empty()) taken.insert(source.name);
    for (auto& source : apps) {
        AciRuntimeApp app;
        app.name = source.name;
        if (app.name.empty()) {
            // Derived names step aside for given ones and for each other.
            std::string base = nameFromImage(source.image.manifest);
            app.name = base;
            for (int n = 2; taken.contains(app.name); ++n)
                app.name = base + "-" + std::to_string(n);
            taken.insert(app.name);
        }
        app.image.name = source.image.manifest.name;
        app.image.labels = source.image.manifest.labels;
        app.app = std::move(source.app);
        app.annotations = std::move(source.annotations);
        pod.manifest.apps.push_back(std::move(app));
        pod.images.push_back(std::move(source.image));
    }
    BERTH_CHECK(reifyPod(pod));
    return pod;
}

Result<AppcPod> podFromManifest(AciPodManifest manifest, const PodImageResolver& resolve,
                                std::vector<AciVolume> extraVolumes)
{
    AppcPod pod;
    BERTH_CHECK(mergeVolumes(manifest.volumes, std::move(extraVolumes)));
    for (const auto& app : manifest.apps) {
        BERTH_TRY(PodImage image, resolve(app.image).context("app '" + app.name + "'"));
        pod.images.push_back(std::move(image));
    }
    pod.manifest = std::move(manifest);
    BERTH_CHECK(reifyPod(pod));
    return pod;
}

} // namespace berth
