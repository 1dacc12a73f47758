#include <berth/image/oci_manifest.hpp>
#include <berth/image/oci_media_types.hpp>

namespace berth
{

Result<OciManifest> parseOciManifest(std::string_view text, std::string_view what)
{
    BERTH_TRY(Json json, parseJson(text, what));
    if (!json.is_object()) return Error(std::string(what) + ": expected a JSON object");
    BERTH_TRY(int64_t schemaVersion, jsonInteger(json, "schemaVersion", what));
    if (schemaVersion != 2)
        return Error(std::string(what) + ": unsupported schemaVersion " +
                     std::to_string(schemaVersion) + " (expected 2)");
    BERTH_TRY(std::string mediaType, jsonOptionalString(json, "mediaType", what));
    if (isIndexMediaType(mediaType) || (mediaType.empty() && json.contains("manifests")))
        return Error(std::string(what) + ": is an image index, not a manifest");
    if (!mediaType.empty() && !isManifestMediaType(mediaType))
        return Error(std::string(what) + ": unsupported manifest media type '" + mediaType + "'");

    auto configJson = json.find("config");
    if (configJson == json.end()) return Error(std::string(what) + ": missing \"config\"");
    BERTH_TRY(OciDescriptor config, parseDescriptor(*configJson, std::string(what) + " config"));
    if (!isConfigMediaType(config.mediaType))
        return Error(std::string(what) + ": unsupported config media type '" + config.mediaType +
                     "'");

    auto layersJson = json.find("layers");
    if (layersJson == json.end() || !layersJson->is_array())
        return Error(std::string(what) + ": \"layers\" is missing or not an array");
    std::vector<OciDescriptor> layers;
    for (const auto& entry : *layersJson) {
        std::string where = std::string(what) + " layer " + std::to_string(layers.size() + 1);
        BERTH_TRY(OciDescriptor layer, parseDescriptor(entry, where));
        if (!isLayerMediaType(layer.mediaType))
            return Error(where + ": unsupported layer media type '" + layer.mediaType + "'");
        layers.push_back(std::move(layer));
    }
    BERTH_TRY(auto annotations, parseStringMap(json, "annotations", what));
    return OciManifest{std::move(mediaType), std::move(config), std::move(layers),
                       std::move(annotations)};
}

std::string serializeOciManifest(const OciManifest& manifest)
{
    Json j = Json::object();
    j["schemaVersion"] = 2;
    j["mediaType"] =
        manifest.mediaType.empty() ? std::string(oci_media::Manifest) : manifest.mediaType;
    j["config"] = manifest.config.toJson();
    j["layers"] = Json::array();
    for (const auto& layer : manifest.layers)
        j["layers"].push_back(layer.toJson());
    if (!manifest.annotations.empty()) j["annotations"] = manifest.annotations;
    return j.dump();
}

} // namespace berth
