#include <berth/image/oci_index.hpp>
#include <berth/image/oci_media_types.hpp>

namespace berth
{

Result<OciIndex> parseOciIndex(std::string_view text, std::string_view what)
{
    BERTH_TRY(Json json, parseJson(text, what));
    if (!json.is_object()) return Error(std::string(what) + ": expected a JSON object");
    BERTH_TRY(int64_t schemaVersion, jsonInteger(json, "schemaVersion", what));
    if (schemaVersion != 2)
        return Error(std::string(what) + ": unsupported schemaVersion " +
                     std::to_string(schemaVersion) + " (expected 2)");
    OciIndex index;
    BERTH_TRY(index.mediaType, jsonOptionalString(json, "mediaType", what));
    if (!index.mediaType.empty() && !isIndexMediaType(index.mediaType))
        return Error(std::string(what) + ": media type '" + index.mediaType +
                     "' is not an image index");
    auto manifests = json.find("manifests");
    if (manifests == json.end() || !manifests->is_array())
        return Error(std::string(what) + ": \"manifests\" is missing or not an array");
    size_t n = 0;
    for (const auto& entry : *manifests) {
        BERTH_TRY(OciDescriptor d, parseDescriptor(entry, std::string(what) + " manifests[" +
                                                              std::to_string(n++) + "]"));
        index.manifests.push_back(std::move(d));
    }
    BERTH_TRY(index.annotations, parseStringMap(json, "annotations", what));
    return index;
}

} // namespace berth
