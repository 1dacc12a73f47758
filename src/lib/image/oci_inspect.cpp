#include <berth/image/oci_config.hpp>
#include <berth/image/oci_inspect.hpp>

namespace berth
{

Result<std::string> readImageManifest(Store& store, const ImageRecord& image)
{
    if (!image.manifestDigest) return Error("image " + image.id + " has no stored manifest");
    return store.readBlob(*image.manifestDigest).context("image " + image.id);
}

Result<Json> inspectImage(Store& store, const ImageRecord& image)
{
    Json j = Json::object();
    j["id"] = image.id;
    j["format"] = imageFormatName(image.format);
    BERTH_TRY(std::vector<std::string> names, store.index().namesOf(image.id));
    j["names"] = names;
    j["source"] = image.source;
    j["verifiedBy"] = image.verifiedBy;
    j["imported"] = image.importedAt;
    j["size"] = image.size;
    if (image.manifestDigest) j["manifestDigest"] = image.manifestDigest->str();
    if (image.format == ImageFormat::Oci) {
        if (!image.configDigest) return Error("image " + image.id + " has no config");
        BERTH_TRY(std::string configText, store.readBlob(*image.configDigest));
        BERTH_TRY(Json config, parseJson(configText, "config " + image.configDigest->str()));
        j["configDigest"] = image.configDigest->str();
        j["config"] = std::move(config);
    } else {
        BERTH_TRY(std::string manifestText, readImageManifest(store, image));
        BERTH_TRY(Json manifest, parseJson(manifestText, "manifest of " + image.id));
        j["manifest"] = std::move(manifest);
        Json deps = Json::array();
        for (const auto& d : image.dependencies) {
            Json dep = {{"name", d.name}};
            if (d.imageId) dep["imageID"] = *d.imageId;
            deps.push_back(std::move(dep));
        }
        j["dependencies"] = std::move(deps);
    }
    Json layers = Json::array();
    for (const auto& layer : image.layers)
        layers.push_back({{"digest", layer.blob.str()},
                          {"diffID", layer.diffId.str()},
                          {"mediaType", layer.mediaType},
                          {"size", layer.size}});
    j["layers"] = std::move(layers);
    return j;
}

Result<AppSpec> ociAppSpec(Store& store, const ImageRecord& image)
{
    if (image.format != ImageFormat::Oci || !image.configDigest)
        return Error("image " + image.id + " is not an OCI image");
    BERTH_TRY(std::string configText, store.readBlob(*image.configDigest));
    BERTH_TRY(OciImageConfig config,
              parseOciConfig(configText, "config " + image.configDigest->str()));
    std::string shortName = image.name;
    if (auto slash = shortName.rfind('/'); slash != std::string::npos)
        shortName = shortName.substr(slash + 1);
    return appSpecFromOciConfig(config, shortName.empty() ? "app" : shortName);
}

} // namespace berth
