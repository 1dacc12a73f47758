#include "mount_path.hpp"

#include <algorithm>
#include <berth/appc/app_plan.hpp>
#include <berth/appc/pod_manifest_json.hpp>

namespace berth
{

namespace
{

const AciVolume* findVolume(const AciPodManifest& manifest, const std::string& name)
{
    for (const auto& volume : manifest.volumes)
        if (volume.name == name) return &volume;
    return nullptr;
}

AppcMount resolveMount(const AciPodMount& mount, const AciVolume& volume,
                       const std::vector<AciMountPoint>& points)
{
    AppcMount out;
    out.volume = mount.volume;
    out.path = mount.path;
    out.kind = volume.kind == "empty" ? AppcMount::Kind::Empty : AppcMount::Kind::Host;
    if (out.kind == AppcMount::Kind::Host) out.source = volume.source;
    bool pointReadOnly = std::any_of(points.begin(), points.end(), [&](const AciMountPoint& p) {
        auto clean = cleanMountPath(p.path);
        return p.readOnly && clean && *clean == mount.path;
    });
    out.readOnly = volume.readOnly.value_or(false) || pointReadOnly;
    out.recursive = volume.recursive.value_or(true);
    if (out.kind == AppcMount::Kind::Empty) {
        // reifyPod checked the mode is octal and the ids in range.
        out.mode = static_cast<uint32_t>(std::stoul(volume.mode, nullptr, 8));
        out.uid = static_cast<uint32_t>(volume.uid);
        out.gid = static_cast<uint32_t>(volume.gid);
    }
    return out;
}

// The image's annotations with the pod's on top: replaced in place, new ones
// appended, which is the order the appc validator expects.
std::vector<std::pair<std::string, std::string>> mergeAnnotations(const AciNameValues& image,
                                                                  const AciNameValues& pod)
{
    std::vector<std::pair<std::string, std::string>> out(image.begin(), image.end());
    // Not a structured binding: clang before 16 cannot capture one in a
    // lambda, and the fuzzing build uses Debian's clang 14.
    for (const auto& entry : pod) {
        const auto& name = entry.first;
        auto same =
            std::find_if(out.begin(), out.end(), [&](const auto& a) { return a.first == name; });
        if (same != out.end())
            same->second = entry.second;
        else
            out.emplace_back(name, entry.second);
    }
    return out;
}

} // namespace

Result<std::vector<AppcAppPlan>> planAppcApps(const AppcPod& pod, std::string_view metadataUrl)
{
    std::vector<AppcAppPlan> plans;
    for (size_t i = 0; i < pod.manifest.apps.size(); ++i) {
        const AciRuntimeApp& app = pod.manifest.apps[i];
        const PodImage& image = pod.images.at(i);
        const std::string at = "app '" + app.name + "'";
        if (!app.app) return Error(at + ": the pod is not reified (no app object)");
        AppcAppPlan plan;
        plan.name = app.name;
        plan.imageId = app.image.id;
        plan.spec = appSpecFromAciApp(*app.app, appSpecFromAciManifest(image.manifest, app.name));
        for (const auto& [name, value] :
             mergeAnnotations(image.manifest.annotations, app.annotations))
            plan.spec.annotations[name] = value;
        plan.appcEnv.emplace_back("AC_APP_NAME", app.name);
        if (!metadataUrl.empty())
            plan.appcEnv.emplace_back("AC_METADATA_URL", std::string(metadataUrl));
        for (const auto& handler : app.app->eventHandlers) {
            if (handler.exec.empty())
                return Error(at + ": event handler '" + handler.name + "' has no command");
            if (handler.name == "pre-start")
                plan.preStart.push_back(handler.exec);
            else if (handler.name == "post-stop")
                plan.postStop.push_back(handler.exec);
            else
                return Error(at + ": unknown event handler '" + handler.name +
                             "' (appc knows pre-start and post-stop)");
        }
        for (const auto& mount : app.mounts) {
            const AciVolume* volume =
                mount.appVolume ? &*mount.appVolume : findVolume(pod.manifest, mount.volume);
            if (!volume)
                return Error(at + ": mount at " + mount.path + " names unknown volume '" +
                             mount.volume + "'");
            plan.mounts.push_back(resolveMount(mount, *volume, app.app->mountPoints));
        }
        plan.readOnlyRootFs = app.readOnlyRootFs;
        plans.push_back(std::move(plan));
    }
    return plans;
}

PodMetadata podMetadataFor(const AppcPod& pod, std::string uuid)
{
    PodMetadata metadata;
    metadata.uuid = std::move(uuid);
    metadata.podManifestJson = serializeAciPodManifest(pod.manifest);
    metadata.annotations.assign(pod.manifest.annotations.begin(), pod.manifest.annotations.end());
    for (size_t i = 0; i < pod.manifest.apps.size() && i < pod.images.size(); ++i) {
        const AciRuntimeApp& app = pod.manifest.apps[i];
        const PodImage& image = pod.images[i];
        AppMetadata a;
        a.name = app.name;
        a.imageId = app.image.id;
        a.imageManifestJson = image.manifestJson;
        a.annotations = mergeAnnotations(image.manifest.annotations, app.annotations);
        metadata.apps.push_back(std::move(a));
    }
    return metadata;
}

} // namespace berth
