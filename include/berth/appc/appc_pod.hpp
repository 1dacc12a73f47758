#pragma once

#include <berth/appc/pod_image.hpp>
#include <berth/base/result.hpp>
#include <berth/image/aci_manifest.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth
{

// An appc pod ready to run: its reified pod manifest (spec/pods.md: every
// app references its image by full ID and has its app object, every
// mountPoint is satisfied by a volume) and, in the same order as
// manifest.apps, each app's image. The manifest is what the metadata
// service serves at /pod/manifest.
struct AppcPod {
    AciPodManifest manifest;
    std::vector<PodImage> images;
};

// One app of `berth run IMAGE [--- IMAGE]...`.
struct PodAppSource {
    PodImage image;
    std::string name;          // the app's name in the pod; empty: from the image name
    std::optional<AciApp> app; // replaces the image's app (e.g. the user's command)
    AciNameValues annotations; // the app's pod-level annotations
};

// Builds the pod of `berth run` with appc images. Apps without a name are
// named after the last component of their image name ("example.com/web" →
// "web"), with "-2", "-3", … added where two would collide. `volumes` are
// the --volume options.
Result<AppcPod> podFromImages(std::vector<PodAppSource> apps, std::vector<AciVolume> volumes,
                              AciNameValues podAnnotations = {});

// Builds the pod of `berth run --pod-manifest FILE`: each app's image is
// found with `resolve`, and `extraVolumes` (--volume) replace or add to the
// manifest's volumes (volumes are late-bound, spec/pods.md).
Result<AppcPod> podFromManifest(AciPodManifest manifest, const PodImageResolver& resolve,
                                std::vector<AciVolume> extraVolumes = {});

// Volumes and mountPoints (decided here, from spec/ace.md "Volume Setup"
// and spec/pods.md):
//  - An app's mountPoint is satisfied by the app's mount of the same path
//    in the pod manifest, else by a pod volume of the mountPoint's name.
//  - A mountPoint that nothing satisfies gets an implicit kind=empty volume
//    of its name (mode 0755, uid/gid 0, as the spec says paths the executor
//    creates are owned), with a notice on stderr. The spec lets the
//    executor late-bind volumes, and an OCI VOLUME behaves the same way in
//    Podman; refusing would make every such image need a flag to run. Apps
//    whose mountPoints share a name share the volume, as pod volumes are.
//  - A mount naming a volume that does not exist (and carries no
//    appVolume) is an error naming the app, the volume and the path.
//  - Mount paths must be absolute, without "..", and no mount may lie
//    inside another of the same app (the spec says SHOULD be an error).
//  - A mount is read-only when its volume or its mountPoint says so.
//  - A --volume no app mounts draws a warning, not an error.
Result<void> reifyPod(AppcPod& pod);

} // namespace berth
