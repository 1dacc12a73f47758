#include <berth/image/oci_config.hpp>
#include <berth/image/oci_descriptor.hpp>
#include <charconv>

namespace berth
{

namespace
{

// A list of strings that may also be null or absent (Docker writes null).
Result<std::vector<std::string>> stringList(const Json& object, const char* key,
                                            const std::string& what)
{
    std::vector<std::string> out;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return out;
    if (!it->is_array()) return Error(what + ": \"" + key + "\" is not an array");
    for (const auto& v : *it) {
        if (!v.is_string())
            return Error(what + ": \"" + key + "\" holds a value that is not a string");
        out.push_back(v.get<std::string>());
    }
    return out;
}

// {"80/tcp": {}} and {"/data": {}}: only the keys matter.
Result<std::vector<std::string>> keySet(const Json& object, const char* key,
                                        const std::string& what)
{
    std::vector<std::string> out;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return out;
    if (!it->is_object()) return Error(what + ": \"" + key + "\" is not an object");
    for (const auto& item : it->items())
        out.push_back(item.key());
    return out;
}

Result<OciExecConfig> parseExecConfig(const Json& json, const std::string& what)
{
    OciExecConfig c;
    if (json.is_null()) return c;
    if (!json.is_object()) return Error(what + ": \"config\" is not an object");
    BERTH_TRY(c.user, jsonOptionalString(json, "User", what));
    BERTH_TRY(c.exposedPorts, keySet(json, "ExposedPorts", what));
    BERTH_TRY(c.env, stringList(json, "Env", what));
    BERTH_TRY(c.entrypoint, stringList(json, "Entrypoint", what));
    BERTH_TRY(c.cmd, stringList(json, "Cmd", what));
    BERTH_TRY(c.volumes, keySet(json, "Volumes", what));
    BERTH_TRY(c.workingDir, jsonOptionalString(json, "WorkingDir", what));
    BERTH_TRY(c.labels, parseStringMap(json, "Labels", what));
    BERTH_TRY(c.stopSignal, jsonOptionalString(json, "StopSignal", what));
    return c;
}

Result<PortSpec> parsePort(const std::string& text)
{
    PortSpec port;
    std::string number = text;
    if (auto slash = text.find('/'); slash != std::string::npos) {
        number = text.substr(0, slash);
        port.protocol = text.substr(slash + 1);
    }
    if (port.protocol != "tcp" && port.protocol != "udp" && port.protocol != "sctp")
        return Error("exposed port '" + text + "': unknown protocol");
    unsigned value = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size() || value == 0 || value > 65535)
        return Error("exposed port '" + text + "' is not a port number");
    port.port = static_cast<uint16_t>(value);
    return port;
}

} // namespace

Result<OciImageConfig> parseOciConfig(std::string_view text, std::string_view whatView)
{
    std::string what(whatView);
    BERTH_TRY(Json json, parseJson(text, what));
    if (!json.is_object()) return Error(what + ": expected a JSON object");
    OciImageConfig config;
    BERTH_TRY(config.architecture, jsonString(json, "architecture", what));
    BERTH_TRY(config.os, jsonString(json, "os", what));
    BERTH_TRY(config.variant, jsonOptionalString(json, "variant", what));
    BERTH_TRY(config.created, jsonOptionalString(json, "created", what));
    if (auto c = json.find("config"); c != json.end()) {
        BERTH_TRY(config.config, parseExecConfig(*c, what));
    }

    auto rootfs = json.find("rootfs");
    if (rootfs == json.end() || !rootfs->is_object())
        return Error(what + ": \"rootfs\" is missing or not an object");
    BERTH_TRY(std::string type, jsonString(*rootfs, "type", what + " rootfs"));
    if (type != "layers") return Error(what + ": rootfs type '" + type + "' is not \"layers\"");
    BERTH_TRY(auto diffIds, stringList(*rootfs, "diff_ids", what + " rootfs"));
    for (const auto& text : diffIds) {
        auto digest = Digest::parse(text);
        if (!digest)
            return Error(what + ": invalid diff_id '" + text + "': " + digest.error().message());
        config.diffIds.push_back(*digest);
    }
    return config;
}

Result<AppSpec> appSpecFromOciConfig(const OciImageConfig& config, const std::string& name)
{
    const OciExecConfig& c = config.config;
    AppSpec app;
    app.name = name;
    app.entrypoint = c.entrypoint;
    app.cmd = c.cmd;
    for (const auto& entry : c.env) {
        auto eq = entry.find('=');
        if (eq == 0) return Error("environment entry '" + entry + "' has no name");
        if (eq == std::string::npos)
            app.env.emplace_back(entry, "");
        else
            app.env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
    // "user[:group]", names or numbers, resolved in the rootfs at run time.
    if (auto colon = c.user.find(':'); colon != std::string::npos) {
        app.user = c.user.substr(0, colon);
        app.group = c.user.substr(colon + 1);
    } else {
        app.user = c.user;
    }
    app.workingDirectory = c.workingDir;
    for (const auto& text : c.exposedPorts) {
        BERTH_TRY(PortSpec port, parsePort(text));
        app.ports.push_back(std::move(port));
    }
    for (const auto& path : c.volumes)
        app.mountPoints.push_back(MountPointSpec{path, path, false});
    app.labels = c.labels;
    app.stopSignal = c.stopSignal;
    return app;
}

} // namespace berth
