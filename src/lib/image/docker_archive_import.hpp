#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/image/importer.hpp>
#include <berth/image/reference.hpp>
#include <berth/store/store.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// docker-archive:FILE, the `docker save` format: manifest.json lists each
// image's Config file, RepoTags and Layers (tar files, maybe compressed). The
// image is recorded with an OCI manifest that berth writes for it.
Result<ImageRecord> importDockerArchive(Store& store, const ImageReference& reference,
                                        const ImportOptions& options);

// A Docker reference name as Docker and Podman read it: "busybox" is
// "docker.io/library/busybox"; a first component with a '.' or ':' or
// "localhost" is a registry.
std::string normalizeDockerName(const std::string& name);

// One image of a docker-archive's manifest.json.
struct DockerArchiveEntry {
    std::string config;
    std::vector<std::string> repoTags;
    std::vector<std::string> layers;
};

// Reads manifest.json (hostile: it comes from the archive). Every name it
// holds is a safe relative path inside the archive, or this fails.
Result<std::vector<DockerArchiveEntry>> parseDockerManifest(std::string_view text);

} // namespace berth
