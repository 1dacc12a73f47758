#include <berth/appc/pod_manifest_json.hpp>
#include <berth/base/json.hpp>

namespace berth
{

namespace
{

Json nameValues(const AciNameValues& list)
{
    Json out = Json::array();
    for (const auto& [name, value] : list) {
        // As read: a nameless entry is accepted, an empty "name" is not.
        Json entry{{"value", value}};
        if (!name.empty()) entry["name"] = name;
        out.push_back(std::move(entry));
    }
    return out;
}

Json isolators(const std::vector<AciIsolator>& list)
{
    Json out = Json::array();
    for (const auto& isolator : list) {
        // rawValue was compact JSON when parsed; keep it a value, not a string.
        auto value = parseJson(isolator.rawValue, "isolator " + isolator.name);
        out.push_back(Json{{"name", isolator.name},
                           {"value", value ? std::move(*value) : Json(isolator.rawValue)}});
    }
    return out;
}

Json volumeJson(const AciVolume& volume)
{
    Json v{{"name", volume.name}, {"kind", volume.kind}};
    if (volume.kind == "host") v["source"] = volume.source;
    if (volume.readOnly) v["readOnly"] = *volume.readOnly;
    if (volume.recursive) v["recursive"] = *volume.recursive;
    if (volume.kind == "empty") {
        v["mode"] = volume.mode;
        v["uid"] = volume.uid;
        v["gid"] = volume.gid;
    }
    return v;
}

// The app object in the appc spelling. The image code owns that spelling
// (serializeAciImageManifest); going through it keeps one writer of it.
Json appJson(const AciApp& app)
{
    AciImageManifest carrier;
    carrier.name = "berth.invalid/carrier";
    carrier.app = app;
    auto parsed = parseJson(serializeAciImageManifest(carrier), "app");
    return parsed ? (*parsed)["app"] : Json::object();
}

} // namespace

std::string serializeAciPodManifest(const AciPodManifest& manifest)
{
    Json j = Json::object();
    j["acVersion"] = manifest.acVersion.empty() ? "0.8.11" : manifest.acVersion;
    j["acKind"] = "PodManifest";
    Json apps = Json::array();
    for (const auto& app : manifest.apps) {
        Json a{{"name", app.name}};
        Json image = Json::object();
        if (app.image.name) image["name"] = *app.image.name;
        // An app read without an image ID keeps none (an empty one is refused).
        if (!app.image.id.empty()) image["id"] = app.image.id;
        if (!app.image.labels.empty()) image["labels"] = nameValues(app.image.labels);
        a["image"] = image;
        if (app.app) a["app"] = appJson(*app.app);
        if (app.readOnlyRootFs) a["readOnlyRootFS"] = true;
        if (!app.mounts.empty()) {
            Json mounts = Json::array();
            for (const auto& mount : app.mounts) {
                Json m{{"volume", mount.volume}, {"path", mount.path}};
                if (mount.appVolume) m["appVolume"] = volumeJson(*mount.appVolume);
                mounts.push_back(m);
            }
            a["mounts"] = mounts;
        }
        if (!app.annotations.empty()) a["annotations"] = nameValues(app.annotations);
        apps.push_back(a);
    }
    j["apps"] = apps;
    Json volumes = Json::array();
    for (const auto& volume : manifest.volumes)
        volumes.push_back(volumeJson(volume));
    j["volumes"] = volumes;
    j["isolators"] = isolators(manifest.isolators);
    j["annotations"] = nameValues(manifest.annotations);
    Json ports = Json::array();
    for (const auto& port : manifest.ports) {
        Json p{{"name", port.name}, {"hostPort", port.hostPort}};
        if (!port.hostIp.empty()) p["hostIP"] = port.hostIp;
        if (port.podPort) {
            Json podPort{{"protocol", port.podPort->protocol}, {"port", port.podPort->port}};
            if (!port.podPort->name.empty()) podPort["name"] = port.podPort->name;
            if (port.podPort->count > 1) podPort["count"] = port.podPort->count;
            if (port.podPort->socketActivated) podPort["socketActivated"] = true;
            p["podPort"] = podPort;
        }
        ports.push_back(p);
    }
    j["ports"] = ports;
    if (!manifest.userAnnotations.empty()) j["userAnnotations"] = manifest.userAnnotations;
    if (!manifest.userLabels.empty()) j["userLabels"] = manifest.userLabels;
    // Names and values come from images; replace invalid UTF-8, never throw.
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace berth
