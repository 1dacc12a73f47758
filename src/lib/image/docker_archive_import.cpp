#include "docker_archive_import.hpp"

#include "oci_archive_unpack.hpp"
#include "oci_image_commit.hpp"
#include "oci_layout_import.hpp"

#include <berth/base/file.hpp>
#include <berth/base/json.hpp>
#include <berth/base/log.hpp>
#include <berth/base/regular_file.hpp>
#include <berth/base/scope_exit.hpp>
#include <berth/image/image_name.hpp>
#include <berth/image/oci_config.hpp>
#include <berth/image/oci_layer_copy.hpp>
#include <berth/image/oci_manifest.hpp>
#include <berth/image/oci_media_types.hpp>
#include <fcntl.h>
#include <unistd.h>

namespace berth
{

namespace
{

constexpr size_t kMaxJsonBytes = 8 << 20;

Result<std::vector<std::string>> stringArray(const Json& object, const char* key,
                                             const std::string& what, bool required)
{
    std::vector<std::string> out;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        if (required) return Error(what + ": missing \"" + key + "\"");
        return out;
    }
    if (!it->is_array()) return Error(what + ": \"" + key + "\" is not an array");
    for (const auto& v : *it) {
        if (!v.is_string())
            return Error(what + ": \"" + key + "\" holds a value that is not a string");
        out.push_back(v.get<std::string>());
    }
    return out;
}

Result<DockerArchiveEntry> chooseEntry(const std::vector<DockerArchiveEntry>& entries,
                                       const std::string& tag)
{
    if (tag.empty()) {
        if (entries.size() == 1) return entries.front();
        return Error("the archive holds " + std::to_string(entries.size()) +
                     " images; choose one with docker-archive:FILE:NAME:TAG");
    }
    for (const auto& e : entries)
        for (const auto& t : e.repoTags)
            if (t == tag || t.ends_with(":" + tag)) return e;
    return Error("the archive has no image tagged '" + tag + "'");
}

std::string layerMediaType(int fd)
{
    char head[4] = {};
    ssize_t n = ::pread(fd, head, sizeof head, 0);
    std::string_view h(head, n > 0 ? static_cast<size_t>(n) : 0);
    if (h.starts_with("\x1f\x8b")) return std::string(oci_media::LayerGzip);
    if (h.starts_with("\x28\xb5\x2f\xfd")) return std::string(oci_media::LayerZstd);
    return std::string(oci_media::Layer);
}

} // namespace

Result<std::vector<DockerArchiveEntry>> parseDockerManifest(std::string_view text)
{
    const std::string what = "manifest.json";
    BERTH_TRY(Json json, parseJson(text, what));
    if (!json.is_array()) return Error(what + ": expected a JSON array");
    std::vector<DockerArchiveEntry> entries;
    for (const auto& item : json) {
        std::string where = what + " entry " + std::to_string(entries.size() + 1);
        DockerArchiveEntry e;
        BERTH_TRY(e.config, jsonString(item, "Config", where));
        BERTH_TRY(e.repoTags, stringArray(item, "RepoTags", where, false));
        BERTH_TRY(e.layers, stringArray(item, "Layers", where, true));
        // These name files inside the archive: refuse anything that could
        // name one outside it before it is used.
        BERTH_CHECK(safeRelativePath(e.config).context(where + " Config"));
        for (const auto& layer : e.layers)
            BERTH_CHECK(safeRelativePath(layer).context(where + " Layers"));
        // They become the image's name in the index and in `berth image
        // list`: nothing but what a reference may hold.
        for (const auto& tag : e.repoTags)
            if (!isValidDockerRepoTag(tag))
                return Error(where + ": RepoTags entry '" + tag + "' is not a valid NAME:TAG");
        entries.push_back(std::move(e));
    }
    if (entries.empty()) return Error(what + " lists no image");
    return entries;
}

std::string normalizeDockerName(const std::string& name)
{
    auto slash = name.find('/');
    std::string first = name.substr(0, slash);
    if (slash != std::string::npos &&
        (first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
         first == "localhost"))
        return name;
    if (slash == std::string::npos) return "docker.io/library/" + name;
    return "docker.io/" + name;
}

Result<ImageRecord> importDockerArchive(Store& store, const ImageReference& reference,
                                        const ImportOptions& options)
{
    if (!pathExists(reference.path)) return Error("no such file '" + reference.path + "'");
    BERTH_TRY(std::string tmp, store.makeTempDirectory("docker-archive"));
    ScopeExit cleanup([&] {
        if (auto removed = removeTree(tmp); !removed)
            logWarning("remove '{}': {}", tmp, removed.error().message());
    });
    BERTH_CHECK(unpackImageArchive(reference.path, tmp));
    BERTH_TRY(UniqueFd dirFd, openDirectory(tmp));

    BERTH_TRY(
        std::string manifestJson,
        readFileAt(dirFd.get(), "manifest.json", kMaxJsonBytes).context("not a docker-archive"));
    BERTH_TRY(auto entries, parseDockerManifest(manifestJson));
    BERTH_TRY(DockerArchiveEntry entry, chooseEntry(entries, reference.tag));

    BERTH_TRY(std::string configText, readFileAt(dirFd.get(), entry.config, kMaxJsonBytes)
                                          .context("read config '" + entry.config + "'"));
    Digest configDigest = Hasher::hash(DigestAlgorithm::Sha256, configText);
    BERTH_TRY(OciImageConfig config, parseOciConfig(configText, "config " + configDigest.str()));
    if (config.diffIds.size() != entry.layers.size())
        return Error("manifest.json lists " + std::to_string(entry.layers.size()) +
                     " layers but the config has " + std::to_string(config.diffIds.size()) +
                     " diff_ids");

    ImageRecord record;
    record.source = reference.original;
    record.verifiedBy = options.verifiedBy.empty() ? "insecure" : options.verifiedBy;
    if (!entry.repoTags.empty()) {
        std::string wanted = entry.repoTags.front();
        if (!reference.tag.empty())
            for (const auto& t : entry.repoTags)
                if (t.ends_with(":" + reference.tag)) wanted = t;
        splitNameTag(wanted, &record.name, &record.tag);
        record.name = normalizeDockerName(record.name);
    } else {
        record.name = localNameFor(reference.path);
    }
    if (record.tag.empty()) record.tag = "latest";
    BERTH_CHECK(checkStoredName(record.name, record.tag, "docker-archive"));

    BERTH_TRY(FileLock lock, store.lock(FileLock::Mode::Shared));
    OciManifest manifest{std::string(oci_media::Manifest),
                         OciDescriptor{std::string(oci_media::Config),
                                       configDigest,
                                       static_cast<int64_t>(configText.size()),
                                       {},
                                       std::nullopt},
                         {},
                         {}};
    for (size_t i = 0; i < entry.layers.size(); ++i) {
        BERTH_TRY(UniqueFd fd, openRegularFileAt(dirFd.get(), entry.layers[i])
                                   .context("layer '" + entry.layers[i] + "'"));
        LayerCopyRequest request;
        request.what = "layer " + std::to_string(i + 1) + " (" + entry.layers[i] + ")";
        request.mediaType = layerMediaType(fd.get());
        request.diffId = config.diffIds[i];
        logInfo("copying {}", request.what);
        BERTH_TRY(LayerRecord layer, copyLayerToStore(store, fdChunkSource(fd.get()), request));
        manifest.layers.push_back(
            OciDescriptor{layer.mediaType, layer.blob, layer.size, {}, std::nullopt});
        record.layers.push_back(std::move(layer));
    }
    std::string manifestText = serializeOciManifest(manifest);
    return commitOciImage(store, std::move(record), manifestText, std::nullopt, manifest,
                          configText);
}

} // namespace berth
