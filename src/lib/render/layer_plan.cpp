#include "layer_plan.hpp"

#include <berth/image/aci_manifest.hpp>
#include <set>

namespace berth
{

namespace
{

constexpr int maxDependencyDepth = 32;

std::string shownName(const ImageRecord& image)
{
    std::string name = image.name.empty() ? image.id : image.name;
    if (!image.tag.empty()) name += ":" + image.tag;
    return name;
}

std::string shortDigest(const Digest& digest)
{
    return digest.str().substr(0, 19);
}

Result<ImageRecord> resolveDependency(Store& store, const AciDependency& dependency)
{
    if (dependency.imageId) return store.index().resolve(*dependency.imageId);
    std::string version;
    for (const auto& [key, value] : dependency.labels)
        if (key == "version") version = value;
    return store.index().resolve(version.empty() ? dependency.name
                                                 : dependency.name + ":" + version);
}

Result<void> addAci(Store& store, const ImageRecord& image, bool dependencies, int depth,
                    std::set<std::string>& visiting, std::vector<PlannedLayer>& out)
{
    if (depth > maxDependencyDepth)
        return Error("ACI dependencies nest deeper than " + std::to_string(maxDependencyDepth));
    if (!visiting.insert(image.id).second)
        return Error("ACI dependency cycle through image '" + shownName(image) + "'");
    if (dependencies) {
        for (const auto& dependency : image.dependencies) {
            auto resolved = resolveDependency(store, dependency);
            if (!resolved)
                return std::move(resolved).error().addContext("dependency '" + dependency.name +
                                                              "' of image '" + shownName(image) +
                                                              "' (fetch it first)");
            BERTH_CHECK(addAci(store, *resolved, true, depth + 1, visiting, out));
        }
    }
    visiting.erase(image.id);
    if (image.layers.size() != 1)
        return Error("ACI image '" + shownName(image) + "' has " +
                     std::to_string(image.layers.size()) + " layers in the index, expected 1");
    const LayerRecord& layer = image.layers.front();
    PlannedLayer planned{layer.blob, {}};
    planned.source.label =
        "ACI '" + shownName(image) + "' (" + layer.diffId.appcStr().substr(0, 19) + ")";
    planned.source.expect.blob = layer.blob;
    planned.source.expect.diffId = layer.diffId;
    planned.source.aci = true;
    out.push_back(std::move(planned));
    return ok();
}

} // namespace

Result<std::vector<PlannedLayer>> planLayers(Store& store, const ImageRecord& image,
                                             bool dependencies, bool whitelist)
{
    std::vector<PlannedLayer> out;
    if (image.format == ImageFormat::Oci) {
        size_t n = image.layers.size();
        for (size_t i = 0; i < n; ++i) {
            const LayerRecord& layer = image.layers[i];
            PlannedLayer planned{layer.blob, {}};
            planned.source.label = "layer " + std::to_string(i + 1) + "/" + std::to_string(n) +
                                   " (" + shortDigest(layer.blob) + ")";
            planned.source.expect.blob = layer.blob;
            planned.source.expect.diffId = layer.diffId;
            out.push_back(std::move(planned));
        }
        return out;
    }
    std::set<std::string> visiting;
    BERTH_CHECK(addAci(store, image, dependencies, 0, visiting, out));
    if (whitelist) {
        BERTH_TRY(AciImageManifest manifest, readAciManifest(store, image));
        for (auto& planned : out)
            planned.source.pathWhitelist = manifest.pathWhitelist;
    }
    return out;
}

} // namespace berth
