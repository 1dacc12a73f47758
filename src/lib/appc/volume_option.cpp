#include <algorithm>
#include <berth/appc/volume_option.hpp>
#include <berth/base/json.hpp>
#include <charconv>
#include <set>

namespace berth
{

namespace
{

// Go's strconv.ParseBool, which rkt used for these options.
std::optional<bool> parseGoBool(std::string_view text)
{
    for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"})
        if (text == t) return true;
    for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"})
        if (text == f) return false;
    return std::nullopt;
}

std::optional<int64_t> parseId(std::string_view text)
{
    int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 0 ||
        n > 0xfffffffe)
        return std::nullopt;
    return n;
}

} // namespace

Result<AciVolume> parseVolumeOption(std::string_view spec)
{
    const std::string where = "--volume '" + std::string(spec) + "'";
    std::vector<std::string_view> items;
    for (std::string_view rest = spec;;) {
        auto comma = rest.find(',');
        items.push_back(rest.substr(0, comma));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    if (items.front().empty() || items.front().find('=') != std::string_view::npos)
        return Error(where + ": must start with the volume's name (NAME,kind=host|empty,…)");

    // The option becomes a pod manifest volume object, checked by the pod
    // manifest parser itself so both ways of giving a volume obey one rule.
    Json volume = Json::object();
    volume["name"] = std::string(items.front());
    std::set<std::string_view> seen;
    for (size_t i = 1; i < items.size(); ++i) {
        auto eq = items[i].find('=');
        if (eq == std::string_view::npos)
            return Error(where + ": '" + std::string(items[i]) + "' is not KEY=VALUE");
        auto key = items[i].substr(0, eq);
        auto value = items[i].substr(eq + 1);
        if (!seen.insert(key).second)
            return Error(where + ": '" + std::string(key) + "' given twice");
        if (key == "kind" || key == "source" || key == "mode") {
            volume[std::string(key)] = std::string(value);
        } else if (key == "readOnly" || key == "recursive") {
            auto b = parseGoBool(value);
            if (!b)
                return Error(where + ": " + std::string(key) + " must be true or false, not '" +
                             std::string(value) + "'");
            volume[std::string(key)] = *b;
        } else if (key == "uid" || key == "gid") {
            auto id = parseId(value);
            if (!id)
                return Error(where + ": " + std::string(key) + " must be a number, not '" +
                             std::string(value) + "'");
            volume[std::string(key)] = *id;
        } else {
            return Error(where + ": unknown key '" + std::string(key) +
                         "' (known: kind, source, readOnly, recursive, mode, uid, gid)");
        }
    }
    if (!volume.contains("kind")) return Error(where + ": kind=host or kind=empty is required");

    Json pod{{"acKind", "PodManifest"},
             {"acVersion", "0.8.11"},
             {"apps", Json::array()},
             {"volumes", Json::array({volume})}};
    auto parsed = parseAciPodManifest(pod.dump());
    if (!parsed) {
        // Keep the rule, drop the wrapper's location ("pod manifest:
        // volumes[0]: ") that means nothing to someone who typed an option.
        std::string message = parsed.error().message();
        if (auto at = message.find("volumes[0]: "); at != std::string::npos)
            message.erase(0, at + 12);
        return Error(where + ": " + message);
    }
    return std::move(parsed->volumes.front());
}

} // namespace berth
