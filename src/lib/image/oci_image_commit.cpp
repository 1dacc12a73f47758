#include "oci_image_commit.hpp"

#include <berth/base/log.hpp>
#include <berth/image/oci_platform.hpp>
#include <ctime>

namespace berth
{

Result<void> checkDiffIdCount(const OciManifest& manifest, const OciImageConfig& config,
                              std::string_view what)
{
    if (manifest.layers.size() != config.diffIds.size())
        return Error(std::string(what) + ": the manifest lists " +
                     std::to_string(manifest.layers.size()) + " layers but the config has " +
                     std::to_string(config.diffIds.size()) + " diff_ids");
    OciPlatform host = hostPlatform();
    if (!platformMatches({config.os, config.architecture, config.variant}, host))
        logWarning("image is for {}/{}, this host is {}", config.os, config.architecture,
                   platformString(host));
    return ok();
}

Result<ImageRecord> commitOciImage(Store& store, ImageRecord record, std::string_view manifestText,
                                   const std::optional<Digest>& expectedManifest,
                                   const OciManifest& manifest, std::string_view configText)
{
    BERTH_TRY(
        Digest configDigest,
        store.putBlob(configText, manifest.config.digest.algorithm()).context("store config"));
    if (!(configDigest == manifest.config.digest))
        return Error("config digest mismatch: expected " + manifest.config.digest.str() + ", got " +
                     configDigest.str());
    DigestAlgorithm algorithm =
        expectedManifest ? expectedManifest->algorithm() : DigestAlgorithm::Sha256;
    BERTH_TRY(Digest manifestDigest,
              store.putBlob(manifestText, algorithm).context("store manifest"));
    if (expectedManifest && !(manifestDigest == *expectedManifest))
        return Error("manifest digest mismatch: expected " + expectedManifest->str() + ", got " +
                     manifestDigest.str());
    record.id = configDigest.str();
    record.format = ImageFormat::Oci;
    record.configDigest = configDigest;
    record.manifestDigest = manifestDigest;
    record.size = static_cast<int64_t>(manifestText.size() + configText.size());
    for (const auto& layer : record.layers)
        record.size += layer.size;
    record.importedAt = static_cast<int64_t>(std::time(nullptr));
    // The same image (same config) imported again under another name keeps
    // its earlier names; putImage replaces the record and its names.
    BERTH_TRY(std::vector<std::string> previous, store.index().namesOf(record.id));
    if (auto put = store.index().putImage(record); !put)
        return std::move(put).error().addContext("record image " + record.id);
    for (const auto& full : previous) {
        std::string name, tag;
        splitNameTag(full, &name, &tag);
        if (name == record.name && tag == record.tag) continue;
        if (auto tagged = store.index().tag(name, tag, record.id); !tagged)
            return std::move(tagged).error().addContext("keep name " + full);
    }
    return record;
}

void splitNameTag(const std::string& text, std::string* name, std::string* tag)
{
    auto slash = text.rfind('/');
    auto colon = text.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        *name = text.substr(0, colon);
        *tag = text.substr(colon + 1);
    } else {
        *name = text;
        tag->clear();
    }
}

} // namespace berth
