#include <berth/image/oci_descriptor.hpp>

namespace berth
{

std::string OciDescriptor::refName() const
{
    auto it = annotations.find(std::string(kRefNameAnnotation));
    return it == annotations.end() ? std::string() : it->second;
}

Json OciDescriptor::toJson() const
{
    Json j = Json::object();
    j["mediaType"] = mediaType;
    j["digest"] = digest.str();
    j["size"] = size;
    if (!annotations.empty()) j["annotations"] = annotations;
    if (platform) {
        Json p = {{"os", platform->os}, {"architecture", platform->architecture}};
        if (!platform->variant.empty()) p["variant"] = platform->variant;
        j["platform"] = p;
    }
    return j;
}

Result<std::map<std::string, std::string>> parseStringMap(const Json& object, const char* key,
                                                          std::string_view what)
{
    std::map<std::string, std::string> out;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return out;
    if (!it->is_object()) return Error(std::string(what) + ": \"" + key + "\" is not an object");
    for (const auto& [k, v] : it->items()) {
        if (!v.is_string())
            return Error(std::string(what) + ": \"" + key + "\" entry \"" + k +
                         "\" is not a string");
        out[k] = v.get<std::string>();
    }
    return out;
}

Result<OciDescriptor> parseDescriptor(const Json& json, std::string_view what)
{
    if (!json.is_object()) return Error(std::string(what) + ": descriptor is not a JSON object");
    BERTH_TRY(std::string mediaType, jsonString(json, "mediaType", what));
    BERTH_TRY(std::string digestText, jsonString(json, "digest", what));
    // A digest names a file in a layout and in the store: it must be a
    // validated alg:hex before anything uses it.
    auto digest = Digest::parse(digestText);
    if (!digest)
        return Error(std::string(what) + ": invalid digest '" + digestText +
                     "': " + digest.error().message());
    OciDescriptor d{std::move(mediaType), *digest, 0, {}, std::nullopt};
    BERTH_TRY(d.size, jsonInteger(json, "size", what));
    if (d.size < 0) return Error(std::string(what) + ": negative size " + std::to_string(d.size));
    BERTH_TRY(d.annotations, parseStringMap(json, "annotations", what));
    if (auto p = json.find("platform"); p != json.end() && !p->is_null()) {
        if (!p->is_object()) return Error(std::string(what) + ": \"platform\" is not an object");
        OciPlatform platform;
        BERTH_TRY(platform.os, jsonString(*p, "os", what));
        BERTH_TRY(platform.architecture, jsonString(*p, "architecture", what));
        BERTH_TRY(platform.variant, jsonOptionalString(*p, "variant", what));
        d.platform = platform;
    }
    return d;
}

} // namespace berth
