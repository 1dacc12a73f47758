#pragma once

#include <berth/appc/appc_pod.hpp>
#include <berth/appc/metadata_handler.hpp>
#include <berth/base/result.hpp>
#include <berth/image/app_spec.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth
{

// One volume mounted into one app, resolved from the reified pod manifest.
struct AppcMount {
    std::string volume;
    std::string path; // inside the app: absolute and clean
    enum class Kind { Host, Empty } kind = Kind::Host;
    // Host: the host path, bound as is (the spec: a missing source is an
    // error and no host path is created). Empty: unset; the run engine
    // creates PodLayout::volumeDir(volume) once per pod, shared by all apps.
    std::string source;
    bool readOnly = false;
    bool recursive = true; // rbind unless the volume says recursive=false
    // Empty volumes: the directory's mode and owner, as container ids.
    uint32_t mode = 0755;
    uint32_t uid = 0;
    uint32_t gid = 0;
};

// Everything the run engine needs for one app of an appc pod, in pod
// order. Plain data: built and tested without namespaces.
struct AppcAppPlan {
    std::string name;    // AC_APP_NAME
    std::string imageId; // the ACI's "sha512-…" ID (its tree is the app's root)
    // The app as the pod manifest says it (the image's app unless the pod
    // replaced it); spec.env is the image/pod environment only.
    AppSpec spec;
    // Set after spec.env and before the user's -e/--env-file (the ACE spec
    // says these MUST be set for the app and its event handlers):
    // AC_APP_NAME, and AC_METADATA_URL when a metadata service runs.
    std::vector<std::pair<std::string, std::string>> appcEnv;
    // Event handlers: each pre-start command runs to completion, in order,
    // before the app starts; each post-stop command after it exits; both in
    // the app's root filesystem, as the app's user, with the app's
    // environment (appcEnv included) and working directory.
    std::vector<std::vector<std::string>> preStart;
    std::vector<std::vector<std::string>> postStop;
    std::vector<AppcMount> mounts;
    bool readOnlyRootFs = false;
};

// Per-app plans for a reified pod. `metadataUrl` is AC_METADATA_URL (see
// metadataUrl()); empty when no metadata service runs.
Result<std::vector<AppcAppPlan>> planAppcApps(const AppcPod& pod, std::string_view metadataUrl);

// What the metadata service serves for this pod: the reified manifest, the
// pod's annotations, and per app its image's manifest (as stored), image ID
// and annotations (the image's, overridden and extended by the pod's).
PodMetadata podMetadataFor(const AppcPod& pod, std::string uuid);

} // namespace berth
