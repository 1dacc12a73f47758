#include "oci_layout_import.hpp"

#include "oci_image_commit.hpp"

#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/image/image_name.hpp>
#include <berth/image/oci_config.hpp>
#include <berth/image/oci_index.hpp>
#include <berth/image/oci_layer_copy.hpp>
#include <berth/image/oci_manifest.hpp>
#include <berth/image/oci_media_types.hpp>
#include <berth/image/oci_platform.hpp>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>

namespace berth
{

namespace
{

constexpr size_t kMaxJsonBytes = 8 << 20;

std::string layoutBlobPath(const Digest& digest)
{
    // Safe: a Digest is a validated algorithm and hex string.
    return "blobs/" + digest.blobPath();
}

Result<UniqueFd> openLayoutBlob(int layoutFd, const OciDescriptor& d, const std::string& layout)
{
    // A layout may come from anywhere: its blobs must be plain files, not
    // symlinks, FIFOs or devices that would block or never end.
    auto fd =
        openAt(layoutFd, layoutBlobPath(d.digest), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (!fd && fd.error().errnum() == ENOENT)
        return Error("missing blob " + d.digest.str() + " in layout '" + layout + "'");
    if (!fd) return fd;
    struct stat st;
    if (::fstat(fd->get(), &st) < 0) return Error::fromErrno("stat blob " + d.digest.str());
    if (!S_ISREG(st.st_mode))
        return Error("blob " + d.digest.str() + " in layout '" + layout +
                     "' is not a regular file");
    return fd;
}

// Reads a small blob (index, manifest, config) and checks its size and digest
// before anyone parses it.
Result<std::string> readLayoutBlob(int layoutFd, const OciDescriptor& d, const std::string& layout,
                                   const std::string& what)
{
    if (d.size > static_cast<int64_t>(kMaxJsonBytes))
        return Error(what + " " + d.digest.str() + " is too large (" + std::to_string(d.size) +
                     " bytes)");
    BERTH_TRY(UniqueFd fd, openLayoutBlob(layoutFd, d, layout));
    BERTH_TRY(std::string data, readAll(fd.get(), kMaxJsonBytes + 1));
    if (static_cast<int64_t>(data.size()) != d.size)
        return Error(what + " " + d.digest.str() + ": size mismatch: expected " +
                     std::to_string(d.size) + " bytes, got " + std::to_string(data.size()));
    Digest actual = Hasher::hash(d.digest.algorithm(), data);
    if (!(actual == d.digest))
        return Error(what + ": digest mismatch: expected " + d.digest.str() + ", got " +
                     actual.str());
    return data;
}

std::string tagsOf(const std::vector<OciDescriptor>& entries)
{
    std::string tags;
    for (const auto& e : entries)
        if (!e.refName().empty()) tags += (tags.empty() ? "" : ", ") + e.refName();
    return tags.empty() ? "none" : tags;
}

bool refNameMatches(const std::string& refName, const std::string& tag)
{
    if (refName == tag) return true;
    std::string name, refTag;
    splitNameTag(refName, &name, &refTag);
    return refName.find('/') != std::string::npos && refTag == tag;
}

// The layout's index.json entry for the TAG asked for, or the default.
Result<OciDescriptor> chooseEntry(const OciIndex& index, const std::string& tag,
                                  const OciPlatform& platform, const std::string& layout)
{
    std::string what = "layout '" + layout + "'";
    if (index.manifests.empty()) return Error(what + " holds no image");
    std::vector<OciDescriptor> matching;
    if (!tag.empty()) {
        for (const auto& e : index.manifests)
            if (refNameMatches(e.refName(), tag)) matching.push_back(e);
        if (matching.empty())
            return Error(what + " has no image tagged '" + tag +
                         "' (tags: " + tagsOf(index.manifests) + ")");
    } else if (index.manifests.size() == 1) {
        return index.manifests.front();
    } else {
        for (const auto& e : index.manifests)
            if (refNameMatches(e.refName(), "latest")) matching.push_back(e);
        if (matching.empty()) {
            // Entries for several platforms of one untagged image.
            bool allPlatforms = true;
            for (const auto& e : index.manifests)
                allPlatforms = allPlatforms && e.platform && e.refName().empty();
            if (!allPlatforms)
                return Error(
                    what + " holds " + std::to_string(index.manifests.size()) +
                    " images; choose one with oci:DIR:TAG (tags: " + tagsOf(index.manifests) + ")");
            matching = index.manifests;
        }
    }
    if (matching.size() == 1) return matching.front();
    return selectPlatformManifest(matching, platform, what);
}

} // namespace

std::string localNameFor(const std::string& path)
{
    std::string base = path;
    while (base.size() > 1 && base.back() == '/')
        base.pop_back();
    if (auto slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
    for (const char* suffix : {".tar", ".oci", ".tgz"})
        if (base.size() > std::string(suffix).size() && base.ends_with(suffix))
            base.resize(base.size() - std::string(suffix).size());
    // A reference name is lowercase; keep what a name may hold.
    std::string name;
    for (char c : base) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        name += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')
                    ? c
                    : '-';
    }
    return "localhost/" + (name.empty() ? std::string("image") : name);
}

Result<ImageRecord> importOciLayout(Store& store, const OciLayoutSource& source,
                                    const ImportOptions& options)
{
    const std::string& layout = source.directory;
    BERTH_TRY(UniqueFd layoutFd, openDirectory(layout).context("open OCI layout"));
    BERTH_TRY(std::string layoutFile, readFileAt(layoutFd.get(), "oci-layout", 64 << 10)
                                          .context("'" + layout + "' is not an OCI layout"));
    BERTH_TRY(Json layoutJson, parseJson(layoutFile, "oci-layout of '" + layout + "'"));
    BERTH_TRY(std::string version,
              jsonString(layoutJson, "imageLayoutVersion", "oci-layout of '" + layout + "'"));
    if (!version.starts_with("1."))
        return Error("OCI layout '" + layout + "' has unsupported version '" + version + "'");

    BERTH_TRY(std::string indexText, readFileAt(layoutFd.get(), "index.json", kMaxJsonBytes)
                                         .context("read index of OCI layout '" + layout + "'"));
    BERTH_TRY(OciIndex index, parseOciIndex(indexText, "index.json of '" + layout + "'"));
    OciPlatform platform = platformFor(options.os, options.architecture);
    BERTH_TRY(OciDescriptor entry, chooseEntry(index, source.tag, platform, layout));

    // An entry may itself be an index (a multi-platform image); follow it
    // down to one manifest, a bounded number of levels.
    for (int depth = 0; isIndexMediaType(entry.mediaType); ++depth) {
        if (depth == 2) return Error("layout '" + layout + "': image indexes nested too deeply");
        BERTH_TRY(std::string text, readLayoutBlob(layoutFd.get(), entry, layout, "image index"));
        BERTH_TRY(OciIndex nested, parseOciIndex(text, "image index " + entry.digest.str()));
        BERTH_TRY(OciDescriptor chosen,
                  selectPlatformManifest(nested.manifests, platform,
                                         "image index " + entry.digest.str()));
        chosen.annotations.insert(entry.annotations.begin(), entry.annotations.end());
        entry = std::move(chosen);
    }
    if (!isManifestMediaType(entry.mediaType))
        return Error("layout '" + layout + "': unsupported manifest media type '" +
                     entry.mediaType + "'");

    std::string manifestWhat = "manifest " + entry.digest.str();
    BERTH_TRY(std::string manifestText, readLayoutBlob(layoutFd.get(), entry, layout, "manifest"));
    BERTH_TRY(OciManifest manifest, parseOciManifest(manifestText, manifestWhat));
    BERTH_TRY(std::string configText,
              readLayoutBlob(layoutFd.get(), manifest.config, layout, "config"));
    BERTH_TRY(OciImageConfig config,
              parseOciConfig(configText, "config " + manifest.config.digest.str()));
    BERTH_CHECK(checkDiffIdCount(manifest, config, manifestWhat));

    ImageRecord record;
    record.source = source.original;
    record.verifiedBy = options.verifiedBy.empty() ? "insecure" : options.verifiedBy;
    std::string refName = entry.refName();
    if (!refName.empty() && !isValidOciRefName(refName))
        return Error("layout '" + layout + "': ref.name '" + refName +
                     "' is not a valid reference name");
    if (refName.find('/') != std::string::npos) {
        splitNameTag(refName, &record.name, &record.tag);
    } else {
        record.name = source.defaultName;
        record.tag = refName;
    }
    if (!source.tag.empty()) record.tag = source.tag;
    if (record.tag.empty()) record.tag = "latest";
    BERTH_CHECK(checkStoredName(record.name, record.tag, "layout '" + layout + "'"));

    // gc holds the lock exclusively: it must not collect blobs we have
    // copied before the index names them.
    BERTH_TRY(FileLock lock, store.lock(FileLock::Mode::Shared));
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        const OciDescriptor& d = manifest.layers[i];
        LayerCopyRequest request;
        request.what = "layer " + std::to_string(i + 1) + " (" + d.digest.str() + ")";
        request.mediaType = d.mediaType;
        request.digest = d.digest;
        request.size = d.size;
        request.diffId = config.diffIds[i];
        BERTH_TRY(UniqueFd fd, openLayoutBlob(layoutFd.get(), d, layout));
        logInfo("copying {}", request.what);
        BERTH_TRY(LayerRecord layer, copyLayerToStore(store, fdChunkSource(fd.get()), request));
        record.layers.push_back(std::move(layer));
    }
    return commitOciImage(store, std::move(record), manifestText, entry.digest, manifest,
                          configText);
}

} // namespace berth
