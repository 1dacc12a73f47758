#include <algorithm>
#include <berth/base/json.hpp>
#include <berth/base/printable.hpp>
#include <berth/image/aci_manifest.hpp>
#include <berth/store/store.hpp>
#include <cctype>
#include <limits>
#include <set>

namespace berth
{

namespace
{

// ---- identifier rules ------------------------------------------------------

bool isLowerAlnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// The reference checks only the character set and the edges (its regexp
// `^[a-z0-9]+([-._~/][a-z0-9]+)*$` is documentation, not what is enforced),
// so "a--b" is accepted; so are we.
bool validIdentifier(std::string_view text, std::string_view separators)
{
    if (text.empty()) return false;
    for (char c : text)
        if (!isLowerAlnum(c) && separators.find(c) == std::string_view::npos) return false;
    return isLowerAlnum(text.front()) && isLowerAlnum(text.back());
}

std::string sanitize(std::string_view text, std::string_view separators, char replacement)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out += isLowerAlnum(lower) || separators.find(lower) != std::string_view::npos
                   ? lower
                   : replacement;
    }
    auto isSep = [&](char c) { return !isLowerAlnum(c); };
    while (!out.empty() && isSep(out.front()))
        out.erase(out.begin());
    while (!out.empty() && isSep(out.back()))
        out.pop_back();
    return out;
}

constexpr std::string_view kIdentifierSeparators = "-._~/";
constexpr std::string_view kNameSeparators = "-";

// go-semver: MAJOR.MINOR.PATCH with numeric parts, optional "-pre" and
// "+meta" made of dot-separated [0-9A-Za-z-]+ identifiers; 0.0.0 is refused.
bool validSemverIdentifiers(std::string_view text)
{
    if (text.empty()) return true;
    size_t start = 0;
    while (true) {
        size_t dot = text.find('.', start);
        std::string_view part =
            text.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (part.empty()) return false;
        for (char c : part)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

bool validSemver(std::string_view text)
{
    std::string_view version = text;
    std::string_view metadata, pre;
    if (auto plus = version.find('+'); plus != std::string_view::npos) {
        metadata = version.substr(plus + 1);
        version = version.substr(0, plus);
    }
    if (auto dash = version.find('-'); dash != std::string_view::npos) {
        pre = version.substr(dash + 1);
        version = version.substr(0, dash);
    }
    if (!validSemverIdentifiers(pre) || !validSemverIdentifiers(metadata)) return false;
    int parts = 0;
    bool allZero = true;
    size_t start = 0;
    while (true) {
        size_t dot = parts < 2 ? version.find('.', start) : std::string_view::npos;
        std::string_view part =
            version.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (part.empty() || part.size() > 18 ||
            !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return false;
        if (part.find_first_not_of('0') != std::string_view::npos) allZero = false;
        ++parts;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (parts != 3) return false;
    return !(allZero && pre.empty() && metadata.empty());
}

bool isDigits(std::string_view s, size_t n)
{
    return s.size() == n &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 3339 date-time, as Go's time.Parse(time.RFC3339, …) takes it.
bool validRfc3339(std::string_view s)
{
    if (s.size() < 20 || !isDigits(s.substr(0, 4), 4) || s[4] != '-' ||
        !isDigits(s.substr(5, 2), 2) || s[7] != '-' || !isDigits(s.substr(8, 2), 2) ||
        (s[10] != 'T' && s[10] != 't') || !isDigits(s.substr(11, 2), 2) || s[13] != ':' ||
        !isDigits(s.substr(14, 2), 2) || s[16] != ':' || !isDigits(s.substr(17, 2), 2))
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t digits = ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            ++i;
        if (i == digits) return false;
    }
    std::string_view zone = s.substr(i);
    if (zone == "Z" || zone == "z") return true;
    return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
           isDigits(zone.substr(1, 2), 2) && zone[3] == ':' && isDigits(zone.substr(4, 2), 2);
}

bool validHttpUrl(std::string_view s)
{
    std::string lower(s.substr(0, 8));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.starts_with("http://") || lower.starts_with("https://");
}

// "sha512-HEX": the reference only requires the sha512 type and a value; we
// also require hex, because the value is matched against stored image IDs.
Result<std::string> parseImageIdText(const std::string& text, const std::string& what)
{
    if (!text.starts_with("sha512-") || text.size() == 7 || text.size() > 7 + 128)
        return Error(what + ": image ID '" + text + "' is not sha512-HEX");
    std::string out = "sha512-";
    for (char c : text.substr(7)) {
        char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!((lower >= '0' && lower <= '9') || (lower >= 'a' && lower <= 'f')))
            return Error(what + ": image ID '" + text + "' is not sha512-HEX");
        out += lower;
    }
    return out;
}

// Manifests are flat documents; a hostile one nested a million levels deep
// would exhaust the stack in the recursive parts of nlohmann::json (dump,
// copies). Counted before parsing, skipping strings.
constexpr int kMaxJsonDepth = 64;

Result<void> checkNesting(std::string_view text, const std::string& where)
{
    int depth = 0;
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                return Error(where + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                             " levels");
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return ok();
}

// ---- JSON access with Go's encoding/json semantics -------------------------

// An exact key wins; else the first key equal ignoring ASCII case. `null` is
// the same as absent (Go leaves the zero value).
const Json* member(const Json& object, std::string_view key)
{
    auto exact = object.find(std::string(key));
    if (exact != object.end()) return exact->is_null() ? nullptr : &*exact;
    for (auto it = object.begin(); it != object.end(); ++it) {
        const std::string& k = it.key();
        if (k.size() == key.size() &&
            std::equal(k.begin(), k.end(), key.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            }))
            return it->is_null() ? nullptr : &*it;
    }
    return nullptr;
}

Error typeError(const std::string& where, std::string_view key, std::string_view expected)
{
    return Error(where + ": \"" + std::string(key) + "\" must be " + std::string(expected));
}

std::string sub(const std::string& where, std::string_view key)
{
    return where.empty() ? std::string(key) : where + ": " + std::string(key);
}

std::string item(const std::string& where, std::string_view key, size_t index)
{
    return sub(where, std::string(key) + "[" + std::to_string(index) + "]");
}

Result<void> requireObject(const Json& value, const std::string& where)
{
    if (!value.is_object()) return Error(where + ": expected a JSON object");
    return ok();
}

Result<std::optional<std::string>> optString(const Json& object, std::string_view key,
                                             const std::string& where)
{
    const Json* v = member(object, key);
    if (!v) return std::optional<std::string>{};
    if (!v->is_string()) return typeError(where, key, "a string");
    return std::optional<std::string>(v->get<std::string>());
}

Result<std::string> getString(const Json& object, std::string_view key, const std::string& where)
{
    BERTH_TRY(auto value, optString(object, key, where));
    return value.value_or("");
}

Result<bool> getBool(const Json& object, std::string_view key, const std::string& where)
{
    const Json* v = member(object, key);
    if (!v) return false;
    if (!v->is_boolean()) return typeError(where, key, "true or false");
    return v->get<bool>();
}

Result<std::optional<bool>> optBool(const Json& object, std::string_view key,
                                    const std::string& where)
{
    const Json* v = member(object, key);
    if (!v) return std::optional<bool>{};
    if (!v->is_boolean()) return typeError(where, key, "true or false");
    return std::optional<bool>(v->get<bool>());
}

// An integer in [min, max]; Go refuses 1.5 or "1" for an int field.
Result<std::optional<int64_t>> optInteger(const Json& object, std::string_view key,
                                          const std::string& where, int64_t min, int64_t max)
{
    const Json* v = member(object, key);
    if (!v) return std::optional<int64_t>{};
    int64_t n;
    if (v->is_number_unsigned()) {
        uint64_t u = v->get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return typeError(where, key, "an integer in range");
        n = static_cast<int64_t>(u);
    } else if (v->is_number_integer()) {
        n = v->get<int64_t>();
    } else {
        return typeError(where, key, "an integer");
    }
    if (n < min || n > max)
        return Error(where + ": \"" + std::string(key) + "\" is out of range (" +
                     std::to_string(n) + ")");
    return std::optional<int64_t>(n);
}

Result<std::vector<std::string>> getStringList(const Json& object, std::string_view key,
                                               const std::string& where)
{
    std::vector<std::string> out;
    const Json* v = member(object, key);
    if (!v) return out;
    if (!v->is_array()) return typeError(where, key, "a list of strings");
    for (const auto& e : *v) {
        if (!e.is_string()) return typeError(where, key, "a list of strings");
        out.push_back(e.get<std::string>());
    }
    return out;
}

const Json* getList(const Json& object, std::string_view key)
{
    const Json* v = member(object, key);
    return v;
}

Result<std::map<std::string, std::string>> getStringMap(const Json& object, std::string_view key,
                                                        const std::string& where)
{
    std::map<std::string, std::string> out;
    const Json* v = member(object, key);
    if (!v) return out;
    if (!v->is_object()) return typeError(where, key, "an object of strings");
    for (auto it = v->begin(); it != v->end(); ++it) {
        if (!it->is_string()) return typeError(where, key, "an object of strings");
        out[it.key()] = it->get<std::string>();
    }
    return out;
}

Result<std::string> parseAcIdentifier(const Json& object, std::string_view key,
                                      const std::string& where, bool required)
{
    BERTH_TRY(auto value, optString(object, key, where));
    if (!value) {
        if (required) return Error(where + ": \"" + std::string(key) + "\" must be set");
        return std::string();
    }
    if (!isValidAcIdentifier(*value))
        return Error(where + ": \"" + std::string(key) + "\" '" + *value +
                     "' is not an AC identifier (lowercase letters, digits and -._~/, "
                     "starting and ending with a letter or digit)");
    return *value;
}

Result<std::string> parseAcName(const Json& object, std::string_view key, const std::string& where,
                                bool required)
{
    BERTH_TRY(auto value, optString(object, key, where));
    if (!value) {
        if (required) return Error(where + ": \"" + std::string(key) + "\" must be set");
        return std::string();
    }
    if (!isValidAcName(*value))
        return Error(where + ": \"" + std::string(key) + "\" '" + *value +
                     "' is not an AC name (lowercase letters, digits and -, starting and "
                     "ending with a letter or digit)");
    return *value;
}

// A list of {name, value} objects, names being AC identifiers, unique.
Result<AciNameValues> parseNameValues(const Json& object, std::string_view key,
                                      const std::string& where, std::string_view noun)
{
    AciNameValues out;
    const Json* list = getList(object, key);
    if (!list) return out;
    if (!list->is_array()) return typeError(where, key, "a list of {\"name\", \"value\"} objects");
    std::set<std::string> seen;
    for (size_t i = 0; i < list->size(); ++i) {
        std::string at = item(where, key, i);
        const Json& e = (*list)[i];
        BERTH_CHECK(requireObject(e, at));
        BERTH_TRY(std::string name, parseAcIdentifier(e, "name", at, false));
        BERTH_TRY(std::string value, getString(e, "value", at));
        if (!seen.insert(name).second)
            return Error(sub(where, key) + ": duplicate " + std::string(noun) + " '" + name + "'");
        out.emplace_back(std::move(name), std::move(value));
    }
    return out;
}

std::optional<std::string> lookup(const AciNameValues& values, std::string_view name)
{
    for (const auto& [n, v] : values)
        if (n == name) return v;
    return std::nullopt;
}

Result<AciNameValues> parseLabels(const Json& object, const std::string& where)
{
    BERTH_TRY(AciNameValues labels, parseNameValues(object, "labels", where, "label"));
    for (const auto& [name, value] : labels) {
        if (name == "name") return Error(sub(where, "labels") + ": invalid label name \"name\"");
        // A label selects an image and its version becomes the stored tag
        // that `berth image list` prints: no control characters.
        if (!isPlainText(value) || value.size() > 255)
            return Error(sub(where, "labels") + ": label \"" + name + "\" value '" + value +
                         "' holds control characters or is too long");
    }
    auto os = lookup(labels, "os");
    if (os) {
        static const std::vector<std::string> oses{"darwin", "freebsd", "linux"};
        if (std::find(oses.begin(), oses.end(), *os) == oses.end())
            return Error(sub(where, "labels") + ": bad os '" + *os +
                         "' (must be one of: darwin, freebsd, linux)");
        auto arch = lookup(labels, "arch");
        if (arch && !isValidAcOsArch(*os, *arch))
            return Error(sub(where, "labels") + ": bad arch '" + *arch + "' for " + *os);
    }
    return labels;
}

Result<AciNameValues> parseAnnotations(const Json& object, const std::string& where)
{
    BERTH_TRY(AciNameValues annotations,
              parseNameValues(object, "annotations", where, "annotation"));
    if (auto created = lookup(annotations, "created"); created && !validRfc3339(*created))
        return Error(sub(where, "annotations") + ": \"created\" '" + *created +
                     "' is not an RFC 3339 date");
    for (const char* urlName : {"homepage", "documentation"})
        if (auto url = lookup(annotations, urlName); url && !validHttpUrl(*url))
            return Error(sub(where, "annotations") + ": \"" + urlName + "\" '" + *url +
                         "' is not an http or https URL");
    return annotations;
}

Result<std::vector<std::string>> parseExec(const Json& object, const std::string& where)
{
    return getStringList(object, "exec", where);
}

Result<AciPort> parsePort(const Json& e, const std::string& at)
{
    BERTH_CHECK(requireObject(e, at));
    AciPort port;
    BERTH_TRY(port.name, parseAcName(e, "name", at, false));
    BERTH_TRY(port.protocol, getString(e, "protocol", at));
    BERTH_TRY(auto number, optInteger(e, "port", at, 0, std::numeric_limits<int64_t>::max()));
    BERTH_TRY(auto count, optInteger(e, "count", at, 0, std::numeric_limits<int64_t>::max()));
    BERTH_TRY(port.socketActivated, getBool(e, "socketActivated", at));
    int64_t p = number.value_or(0);
    int64_t c = count.value_or(0);
    if (p < 1 || p > 65535) return Error(at + ": port must be in 1-65535 range");
    if (p + c > 65536) return Error(at + ": end of port range must be in 1-65535 range");
    port.port = static_cast<uint16_t>(p);
    port.count = c == 0 ? 1 : static_cast<uint32_t>(c);
    return port;
}

Result<std::vector<AciIsolator>> parseIsolators(const Json& object, const std::string& where)
{
    std::vector<AciIsolator> out;
    const Json* list = getList(object, "isolators");
    if (!list) return out;
    if (!list->is_array())
        return typeError(where, "isolators", "a list of {\"name\", \"value\"} objects");
    for (size_t i = 0; i < list->size(); ++i) {
        std::string at = item(where, "isolators", i);
        const Json& e = (*list)[i];
        BERTH_CHECK(requireObject(e, at));
        AciIsolator isolator;
        BERTH_TRY(isolator.name, parseAcIdentifier(e, "name", at, true));
        // The reference dereferences the value of every isolator it knows;
        // one without a value cannot mean anything.
        const Json* value = member(e, "value");
        if (!value) return Error(at + ": isolator '" + isolator.name + "' has no \"value\"");
        isolator.rawValue = value->dump();
        out.push_back(std::move(isolator));
    }
    return out;
}

Result<AciApp> parseApp(const Json& e, const std::string& where)
{
    BERTH_CHECK(requireObject(e, where));
    AciApp app;
    BERTH_TRY(app.exec, parseExec(e, where));
    BERTH_TRY(app.user, getString(e, "user", where));
    BERTH_TRY(app.group, getString(e, "group", where));
    if (app.user.empty()) return Error(where + ": user is required");
    if (app.group.empty()) return Error(where + ": group is required");

    // appc writes "supplementaryGIDs"; older tools wrote "supplementaryGids".
    // member() matches either, as Go's case-insensitive decoding does.
    if (const Json* gids = member(e, "supplementaryGIDs")) {
        if (!gids->is_array()) return typeError(where, "supplementaryGIDs", "a list of integers");
        for (const auto& g : *gids) {
            if (!g.is_number_integer())
                return typeError(where, "supplementaryGIDs", "a list of integers");
            int64_t gid =
                g.is_number_unsigned() && g.get<uint64_t>() > INT64_MAX ? -1 : g.get<int64_t>();
            if (gid < 0 || gid > std::numeric_limits<uint32_t>::max())
                return Error(where + ": supplementary GID " + g.dump() + " is out of range");
            app.supplementaryGids.push_back(static_cast<uint32_t>(gid));
        }
    }

    BERTH_TRY(app.workingDirectory, getString(e, "workingDirectory", where));
    if (!app.workingDirectory.empty() && app.workingDirectory.front() != '/')
        return Error(where + ": workingDirectory must be an absolute path");

    if (const Json* env = member(e, "environment")) {
        if (!env->is_array())
            return typeError(where, "environment", "a list of {\"name\", \"value\"} objects");
        std::set<std::string> seen;
        for (size_t i = 0; i < env->size(); ++i) {
            std::string at = item(where, "environment", i);
            BERTH_CHECK(requireObject((*env)[i], at));
            BERTH_TRY(std::string name, getString((*env)[i], "name", at));
            BERTH_TRY(std::string value, getString((*env)[i], "value", at));
            bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                         name[0] != '.' && name[0] != '-' &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                    c == '.' || c == '-';
                         });
            if (!valid)
                return Error(at + ": environment variable name '" + name + "' is not valid");
            if (!seen.insert(name).second)
                return Error(at + ": duplicate environment variable '" + name + "'");
            app.environment.emplace_back(std::move(name), std::move(value));
        }
    }

    if (const Json* handlers = member(e, "eventHandlers")) {
        if (!handlers->is_array())
            return typeError(where, "eventHandlers", "a list of {\"name\", \"exec\"} objects");
        std::set<std::string> seen;
        for (size_t i = 0; i < handlers->size(); ++i) {
            std::string at = item(where, "eventHandlers", i);
            const Json& h = (*handlers)[i];
            BERTH_CHECK(requireObject(h, at));
            AciEventHandler handler;
            BERTH_TRY(handler.name, getString(h, "name", at));
            if (handler.name != "pre-start" && handler.name != "post-stop")
                return Error(at + ": bad eventHandler name '" + handler.name +
                             "' (pre-start or post-stop)");
            if (!seen.insert(handler.name).second)
                return Error(at + ": only one eventHandler named '" + handler.name +
                             "' is allowed");
            BERTH_TRY(handler.exec, parseExec(h, at));
            app.eventHandlers.push_back(std::move(handler));
        }
    }

    if (const Json* mounts = member(e, "mountPoints")) {
        if (!mounts->is_array()) return typeError(where, "mountPoints", "a list of objects");
        for (size_t i = 0; i < mounts->size(); ++i) {
            std::string at = item(where, "mountPoints", i);
            const Json& m = (*mounts)[i];
            BERTH_CHECK(requireObject(m, at));
            AciMountPoint mount;
            BERTH_TRY(mount.name, parseAcName(m, "name", at, true));
            BERTH_TRY(mount.path, getString(m, "path", at));
            if (mount.path.empty()) return Error(at + ": path must be set");
            BERTH_TRY(mount.readOnly, getBool(m, "readOnly", at));
            app.mountPoints.push_back(std::move(mount));
        }
    }

    if (const Json* ports = member(e, "ports")) {
        if (!ports->is_array()) return typeError(where, "ports", "a list of objects");
        for (size_t i = 0; i < ports->size(); ++i) {
            BERTH_TRY(AciPort port, parsePort((*ports)[i], item(where, "ports", i)));
            app.ports.push_back(std::move(port));
        }
    }

    BERTH_TRY(app.isolators, parseIsolators(e, where));
    BERTH_TRY(app.userAnnotations, getStringMap(e, "userAnnotations", where));
    BERTH_TRY(app.userLabels, getStringMap(e, "userLabels", where));
    return app;
}

Result<std::string> parseHeader(const Json& root, std::string_view kind, const std::string& where)
{
    BERTH_CHECK(requireObject(root, where));
    BERTH_TRY(auto acKind, optString(root, "acKind", where));
    if (!acKind || acKind->empty()) return Error(where + ": acKind must be set");
    if (*acKind != kind)
        return Error(where + ": acKind must be \"" + std::string(kind) + "\", not \"" + *acKind +
                     "\"");
    BERTH_TRY(auto acVersion, optString(root, "acVersion", where));
    if (!acVersion || acVersion->empty()) return Error(where + ": acVersion must be set");
    if (!validSemver(*acVersion))
        return Error(where + ": acVersion '" + *acVersion + "' is not a semantic version");
    return *acVersion;
}

Result<AciVolume> parseVolume(const Json& v, const std::string& at)
{
    BERTH_CHECK(requireObject(v, at));
    AciVolume volume;
    BERTH_TRY(volume.name, parseAcName(v, "name", at, true));
    BERTH_TRY(volume.kind, getString(v, "kind", at));
    BERTH_TRY(volume.source, getString(v, "source", at));
    BERTH_TRY(volume.readOnly, optBool(v, "readOnly", at));
    BERTH_TRY(volume.recursive, optBool(v, "recursive", at));
    BERTH_TRY(auto mode, optString(v, "mode", at));
    BERTH_TRY(auto uid, optInteger(v, "uid", at, INT32_MIN, INT64_MAX));
    BERTH_TRY(auto gid, optInteger(v, "gid", at, INT32_MIN, INT64_MAX));
    if (volume.kind == "empty") {
        if (!volume.source.empty()) return Error(at + ": source for empty volume must be empty");
        volume.mode = mode.value_or("0755");
        volume.uid = uid.value_or(0);
        volume.gid = gid.value_or(0);
    } else if (volume.kind == "host") {
        if (volume.source.empty()) return Error(at + ": source for host volume cannot be empty");
        if (mode || uid || gid)
            return Error(at + ": mode, uid and gid cannot be set for a host volume");
        if (volume.source.front() != '/')
            return Error(at + ": source for host volume must be an absolute path");
    } else {
        return Error(at + ": unrecognized volume kind '" + volume.kind +
                     "' (should be \"empty\" or \"host\")");
    }
    return volume;
}

} // namespace

// ---- public ----------------------------------------------------------------

bool isValidAcIdentifier(std::string_view text)
{
    return validIdentifier(text, kIdentifierSeparators);
}

bool isValidAcName(std::string_view text)
{
    return validIdentifier(text, kNameSeparators);
}

std::string sanitizeAcIdentifier(std::string_view text)
{
    return sanitize(text, kIdentifierSeparators, '_');
}

std::string sanitizeAcName(std::string_view text)
{
    return sanitize(text, kNameSeparators, '-');
}

bool isValidAcOsArch(std::string_view os, std::string_view arch)
{
    static const std::map<std::string, std::vector<std::string>, std::less<>> table{
        {"linux",
         {"amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b", "ppc64",
          "ppc64le", "s390x"}},
        {"freebsd", {"amd64", "i386", "arm"}},
        {"darwin", {"x86_64", "i386"}},
    };
    auto it = table.find(os);
    if (it == table.end()) return false;
    return std::find(it->second.begin(), it->second.end(), arch) != it->second.end();
}

std::string ociArchToAppc(std::string_view arch, std::string_view variant)
{
    if (arch == "arm64") return "aarch64";
    if (arch == "386") return "i386";
    if (arch == "arm") return variant == "v7" ? "armv7l" : "armv6l";
    return std::string(arch);
}

std::optional<std::string> AciImageManifest::label(std::string_view labelName) const
{
    return lookup(labels, labelName);
}

std::optional<std::string> AciImageManifest::annotation(std::string_view annotationName) const
{
    return lookup(annotations, annotationName);
}

Result<AciImageManifest> parseAciImageManifest(std::string_view text)
{
    const std::string where = "image manifest";
    BERTH_CHECK(checkNesting(text, where));
    BERTH_TRY(Json root, parseJson(text, where));
    AciImageManifest m;
    BERTH_TRY(m.acVersion, parseHeader(root, "ImageManifest", where));
    BERTH_TRY(m.name, parseAcIdentifier(root, "name", where, true));
    BERTH_TRY(m.labels, parseLabels(root, where));
    if (const Json* app = member(root, "app")) {
        BERTH_TRY(AciApp parsed, parseApp(*app, sub(where, "app")));
        m.app = std::move(parsed);
    }
    BERTH_TRY(m.annotations, parseAnnotations(root, where));
    if (const Json* deps = member(root, "dependencies")) {
        if (!deps->is_array()) return typeError(where, "dependencies", "a list of objects");
        for (size_t i = 0; i < deps->size(); ++i) {
            std::string at = item(where, "dependencies", i);
            const Json& d = (*deps)[i];
            BERTH_CHECK(requireObject(d, at));
            AciImageDependency dep;
            BERTH_TRY(dep.imageName, parseAcIdentifier(d, "imageName", at, true));
            BERTH_TRY(auto id, optString(d, "imageID", at));
            if (id) {
                BERTH_TRY(std::string parsed, parseImageIdText(*id, at));
                dep.imageId = std::move(parsed);
            }
            BERTH_TRY(dep.labels, parseLabels(d, at));
            BERTH_TRY(auto size, optInteger(d, "size", at, 0, INT64_MAX));
            dep.size = static_cast<uint64_t>(size.value_or(0));
            m.dependencies.push_back(std::move(dep));
        }
    }
    BERTH_TRY(m.pathWhitelist, getStringList(root, "pathWhitelist", where));
    return m;
}

Result<AciPodManifest> parseAciPodManifest(std::string_view text)
{
    const std::string where = "pod manifest";
    BERTH_CHECK(checkNesting(text, where));
    BERTH_TRY(Json root, parseJson(text, where));
    AciPodManifest m;
    BERTH_TRY(m.acVersion, parseHeader(root, "PodManifest", where));

    if (const Json* apps = member(root, "apps")) {
        if (!apps->is_array()) return typeError(where, "apps", "a list of objects");
        std::set<std::string> seen;
        for (size_t i = 0; i < apps->size(); ++i) {
            std::string at = item(where, "apps", i);
            const Json& a = (*apps)[i];
            BERTH_CHECK(requireObject(a, at));
            AciRuntimeApp app;
            BERTH_TRY(app.name, parseAcName(a, "name", at, true));
            if (!seen.insert(app.name).second)
                return Error(where + ": duplicate apps of name '" + app.name + "'");
            if (const Json* image = member(a, "image")) {
                std::string imageAt = sub(at, "image");
                BERTH_CHECK(requireObject(*image, imageAt));
                BERTH_TRY(std::string name, parseAcIdentifier(*image, "name", imageAt, false));
                if (!name.empty()) app.image.name = std::move(name);
                BERTH_TRY(auto id, optString(*image, "id", imageAt));
                if (id) {
                    BERTH_TRY(app.image.id, parseImageIdText(*id, imageAt));
                }
                BERTH_TRY(app.image.labels, parseLabels(*image, imageAt));
            }
            if (const Json* override = member(a, "app")) {
                BERTH_TRY(AciApp parsed, parseApp(*override, sub(at, "app")));
                app.app = std::move(parsed);
            }
            BERTH_TRY(app.readOnlyRootFs, getBool(a, "readOnlyRootFS", at));
            if (const Json* mounts = member(a, "mounts")) {
                if (!mounts->is_array()) return typeError(at, "mounts", "a list of objects");
                for (size_t j = 0; j < mounts->size(); ++j) {
                    std::string mountAt = item(at, "mounts", j);
                    const Json& mo = (*mounts)[j];
                    BERTH_CHECK(requireObject(mo, mountAt));
                    AciPodMount mount;
                    BERTH_TRY(mount.volume, parseAcName(mo, "volume", mountAt, true));
                    BERTH_TRY(mount.path, getString(mo, "path", mountAt));
                    if (mount.path.empty()) return Error(mountAt + ": path must be set");
                    if (const Json* appVolume = member(mo, "appVolume")) {
                        BERTH_TRY(AciVolume volume,
                                  parseVolume(*appVolume, sub(mountAt, "appVolume")));
                        mount.appVolume = std::move(volume);
                    }
                    app.mounts.push_back(std::move(mount));
                }
            }
            BERTH_TRY(app.annotations, parseAnnotations(a, at));
            m.apps.push_back(std::move(app));
        }
    }

    if (const Json* volumes = member(root, "volumes")) {
        if (!volumes->is_array()) return typeError(where, "volumes", "a list of objects");
        std::set<std::string> seen;
        for (size_t i = 0; i < volumes->size(); ++i) {
            BERTH_TRY(AciVolume volume, parseVolume((*volumes)[i], item(where, "volumes", i)));
            if (!seen.insert(volume.name).second)
                return Error(where + ": duplicate volume name '" + volume.name + "'");
            m.volumes.push_back(std::move(volume));
        }
    }

    BERTH_TRY(m.isolators, parseIsolators(root, where));
    BERTH_TRY(m.annotations, parseAnnotations(root, where));

    if (const Json* ports = member(root, "ports")) {
        if (!ports->is_array()) return typeError(where, "ports", "a list of objects");
        for (size_t i = 0; i < ports->size(); ++i) {
            std::string at = item(where, "ports", i);
            const Json& p = (*ports)[i];
            BERTH_CHECK(requireObject(p, at));
            AciExposedPort port;
            BERTH_TRY(port.name, parseAcName(p, "name", at, true));
            BERTH_TRY(auto hostPort, optInteger(p, "hostPort", at, 0, 65535));
            port.hostPort = static_cast<uint16_t>(hostPort.value_or(0));
            BERTH_TRY(port.hostIp, getString(p, "hostIP", at));
            if (const Json* podPort = member(p, "podPort")) {
                BERTH_TRY(AciPort parsed, parsePort(*podPort, sub(at, "podPort")));
                port.podPort = std::move(parsed);
            }
            m.ports.push_back(std::move(port));
        }
    }
    BERTH_TRY(m.userAnnotations, getStringMap(root, "userAnnotations", where));
    BERTH_TRY(m.userLabels, getStringMap(root, "userLabels", where));
    return m;
}

namespace
{

Json nameValuesJson(const AciNameValues& values)
{
    Json list = Json::array();
    for (const auto& [name, value] : values) {
        // A nameless entry is read (as the appc reference reads it), but an
        // empty "name" is refused: write it back as it came, without one.
        Json entry{{"value", value}};
        if (!name.empty()) entry["name"] = name;
        list.push_back(std::move(entry));
    }
    return list;
}

Json appJson(const AciApp& app)
{
    Json j = Json::object();
    j["exec"] = app.exec;
    j["user"] = app.user;
    j["group"] = app.group;
    if (!app.supplementaryGids.empty()) j["supplementaryGIDs"] = app.supplementaryGids;
    if (!app.workingDirectory.empty()) j["workingDirectory"] = app.workingDirectory;
    if (!app.environment.empty()) j["environment"] = nameValuesJson(app.environment);
    if (!app.eventHandlers.empty()) {
        Json handlers = Json::array();
        for (const auto& h : app.eventHandlers)
            handlers.push_back(Json{{"name", h.name}, {"exec", h.exec}});
        j["eventHandlers"] = handlers;
    }
    if (!app.mountPoints.empty()) {
        Json mounts = Json::array();
        for (const auto& m : app.mountPoints)
            mounts.push_back(Json{{"name", m.name}, {"path", m.path}, {"readOnly", m.readOnly}});
        j["mountPoints"] = mounts;
    }
    if (!app.ports.empty()) {
        Json ports = Json::array();
        for (const auto& p : app.ports) {
            Json port{{"protocol", p.protocol},
                      {"port", p.port},
                      {"count", p.count},
                      {"socketActivated", p.socketActivated}};
            // Read without a name, written without one ("" is refused).
            if (!p.name.empty()) port["name"] = p.name;
            ports.push_back(std::move(port));
        }
        j["ports"] = ports;
    }
    if (!app.isolators.empty()) {
        Json isolators = Json::array();
        for (const auto& i : app.isolators) {
            auto value = parseJson(i.rawValue, "isolator value");
            isolators.push_back(Json{{"name", i.name}, {"value", value ? *value : Json()}});
        }
        j["isolators"] = isolators;
    }
    if (!app.userAnnotations.empty()) j["userAnnotations"] = app.userAnnotations;
    if (!app.userLabels.empty()) j["userLabels"] = app.userLabels;
    return j;
}

} // namespace

std::string serializeAciImageManifest(const AciImageManifest& manifest)
{
    Json j = Json::object();
    j["acKind"] = "ImageManifest";
    j["acVersion"] = manifest.acVersion.empty() ? "0.8.11" : manifest.acVersion;
    j["name"] = manifest.name;
    if (!manifest.labels.empty()) j["labels"] = nameValuesJson(manifest.labels);
    if (manifest.app) j["app"] = appJson(*manifest.app);
    if (!manifest.annotations.empty()) j["annotations"] = nameValuesJson(manifest.annotations);
    if (!manifest.dependencies.empty()) {
        Json deps = Json::array();
        for (const auto& d : manifest.dependencies) {
            Json dep{{"imageName", d.imageName}};
            if (d.imageId) dep["imageID"] = *d.imageId;
            if (!d.labels.empty()) dep["labels"] = nameValuesJson(d.labels);
            if (d.size) dep["size"] = d.size;
            deps.push_back(dep);
        }
        j["dependencies"] = deps;
    }
    if (!manifest.pathWhitelist.empty()) j["pathWhitelist"] = manifest.pathWhitelist;
    // Strings built from image metadata may hold invalid UTF-8; replace
    // rather than throw.
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<AciImageManifest> readAciManifest(const Store& store, const ImageRecord& image)
{
    if (image.format != ImageFormat::Aci) return Error("image " + image.id + " is not an ACI");
    if (!image.manifestDigest) return Error("image " + image.id + " has no stored manifest");
    BERTH_TRY(std::string text,
              store.readBlob(*image.manifestDigest).context("read manifest of image " + image.id));
    return parseAciImageManifest(text).context("image " + image.id);
}

AppSpec appSpecFromAciApp(const AciApp& app, AppSpec spec)
{
    spec.entrypoint = app.exec;
    spec.cmd.clear();
    spec.env = app.environment;
    spec.user = app.user;
    spec.group = app.group;
    spec.supplementaryGids = app.supplementaryGids;
    spec.workingDirectory = app.workingDirectory;
    spec.ports.clear();
    for (const auto& p : app.ports)
        for (uint32_t i = 0; i < p.count; ++i)
            spec.ports.push_back(PortSpec{p.name, p.protocol, static_cast<uint16_t>(p.port + i)});
    spec.mountPoints.clear();
    for (const auto& m : app.mountPoints)
        spec.mountPoints.push_back(MountPointSpec{m.name, m.path, m.readOnly});
    spec.eventHandlers.clear();
    for (const auto& h : app.eventHandlers)
        spec.eventHandlers.push_back(EventHandlerSpec{h.name, h.exec});
    spec.isolators.clear();
    for (const auto& i : app.isolators)
        spec.isolators[i.name] = i.rawValue;
    return spec;
}

AppSpec appSpecFromAciManifest(const AciImageManifest& manifest, std::string appName)
{
    AppSpec spec;
    if (appName.empty()) {
        std::string_view base = manifest.name;
        if (auto slash = base.rfind('/'); slash != std::string_view::npos)
            base = base.substr(slash + 1);
        appName = sanitizeAcName(base);
        if (appName.empty()) appName = "app";
    }
    spec.name = std::move(appName);
    if (manifest.app) spec = appSpecFromAciApp(*manifest.app, std::move(spec));
    for (const auto& [name, value] : manifest.annotations)
        spec.annotations[name] = value;
    for (const auto& [name, value] : manifest.labels)
        spec.labels[name] = value;
    return spec;
}

} // namespace berth
