#include <berth/base/base64.hpp>
#include <berth/base/file.hpp>
#include <berth/base/json.hpp>
#include <berth/fetch/credential_helper.hpp>
#include <berth/fetch/credentials.hpp>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>

namespace berth
{

namespace
{

std::string homeDirectory()
{
    const char* home = std::getenv("HOME");
    return home && *home ? home : "/";
}

// "https://host:5000/v1/" → "host:5000"; "host/ns" stays as it is.
std::string normaliseKey(std::string key)
{
    for (const char* scheme : {"https://", "http://"})
        if (key.starts_with(scheme)) {
            key = key.substr(std::string_view(scheme).size());
            if (auto slash = key.find('/'); slash != std::string::npos) key.resize(slash);
            return key;
        }
    while (!key.empty() && key.back() == '/')
        key.pop_back();
    return key;
}

Result<Json> parseAuthFile(std::string_view text, std::string_view what)
{
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return Json::object();
    BERTH_TRY(Json json, parseJson(text, what));
    if (!json.is_object()) return Error(std::string(what) + ": not a JSON object");
    if (json.contains("auths") && !json["auths"].is_object())
        return Error(std::string(what) + ": \"auths\" is not an object");
    return json;
}

} // namespace

std::vector<std::string> credentialFiles()
{
    std::vector<std::string> files;
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
        files.push_back(std::string(runtime) + "/containers/auth.json");
    const char* config = std::getenv("XDG_CONFIG_HOME");
    std::string configHome = config && *config ? std::string(config) : homeDirectory() + "/.config";
    files.push_back(configHome + "/containers/auth.json");
    files.push_back(homeDirectory() + "/.docker/config.json");
    return files;
}

std::string defaultAuthFile()
{
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
        return std::string(runtime) + "/containers/auth.json";
    return credentialFiles()[0];
}

Result<std::optional<Credential>> findCredentialIn(std::string_view authJson,
                                                   const std::string& registry,
                                                   const std::string& repository)
{
    BERTH_TRY(Json json, parseAuthFile(authJson, "auth file"));
    auto helperNamed = [](const Json& value, const std::string& what) -> Result<std::string> {
        if (!value.is_string()) return Error(what + " is not a string");
        BERTH_TRY(std::string program, credentialHelperProgram(value.get<std::string>()));
        (void)program;
        return value.get<std::string>();
    };
    if (json.contains("credHelpers")) {
        const Json& helpers = json["credHelpers"];
        if (!helpers.is_object()) return Error("\"credHelpers\" is not an object");
        for (const auto& [key, value] : helpers.items()) {
            if (normaliseKey(key) != registry) continue;
            Credential credential;
            BERTH_TRY(credential.helper, helperNamed(value, "credHelpers entry '" + key + "'"));
            return std::optional<Credential>(std::move(credential));
        }
    }
    auto store = [&]() -> Result<std::optional<Credential>> {
        if (!json.contains("credsStore")) return std::optional<Credential>();
        Credential credential;
        BERTH_TRY(credential.helper, helperNamed(json["credsStore"], "\"credsStore\""));
        return std::optional<Credential>(std::move(credential));
    };
    if (!json.contains("auths")) return store();
    // Most specific first: host/ns/app, host/ns, host.
    std::vector<std::string> candidates;
    std::string path = repository.empty() ? registry : registry + "/" + repository;
    while (true) {
        candidates.push_back(path);
        auto slash = path.rfind('/');
        if (slash == std::string::npos) break;
        path.resize(slash);
    }
    for (const auto& candidate : candidates) {
        for (const auto& [key, entry] : json["auths"].items()) {
            if (normaliseKey(key) != candidate || !entry.is_object()) continue;
            BERTH_TRY(std::string auth,
                      jsonOptionalString(entry, "auth", "auth entry '" + key + "'"));
            if (auth.empty()) continue; // credential helpers store nothing here
            // Go's decoder, and so Docker's and Podman's, skips line breaks:
            // `base64` wraps its output at 76 columns.
            std::erase_if(auth, [](char c) { return c == '\n' || c == '\r'; });
            BERTH_TRY(std::string decoded, decodeBase64(auth).context("auth entry '" + key + "'"));
            auto colon = decoded.find(':');
            if (colon == std::string::npos)
                return Error("auth entry '" + key + "' is not base64 of user:password");
            return std::optional<Credential>(
                Credential{decoded.substr(0, colon), decoded.substr(colon + 1), {}, {}});
        }
    }
    return store();
}

Result<std::optional<Credential>> findCredential(const std::vector<std::string>& files,
                                                 const std::string& registry,
                                                 const std::string& repository)
{
    for (const auto& file : files) {
        auto text = readFile(file, 4 << 20);
        if (!text) {
            if (text.error().errnum() == ENOENT || text.error().errnum() == ENOTDIR) continue;
            return std::move(text).error().addContext("read credentials");
        }
        BERTH_TRY(std::optional<Credential> found,
                  findCredentialIn(*text, registry, repository).context("'" + file + "'"));
        if (found && !found->helper.empty()) {
            BERTH_TRY(std::optional<Credential> fromHelper,
                      runCredentialHelper(found->helper, registry));
            if (!fromHelper) continue; // the helper has nothing: look further
            fromHelper->source = file + " (" + fromHelper->source + ")";
            return fromHelper;
        }
        if (found) {
            found->source = file;
            return found;
        }
    }
    return std::optional<Credential>();
}

Result<std::string> withCredential(std::string_view authJson, const std::string& registry,
                                   const std::string& username, const std::string& password)
{
    BERTH_TRY(Json json, parseAuthFile(authJson, "auth file"));
    if (!json.contains("auths")) json["auths"] = Json::object();
    // Replace any spelling of the same registry (a Docker-style URL key).
    std::vector<std::string> stale;
    for (const auto& [key, entry] : json["auths"].items())
        if (key != registry && normaliseKey(key) == registry) stale.push_back(key);
    for (const auto& key : stale)
        json["auths"].erase(key);
    json["auths"][registry] = Json{{"auth", encodeBase64(username + ":" + password)}};
    return json.dump(1, '\t') + "\n";
}

Result<std::string> withoutCredential(std::string_view authJson, const std::string& registry,
                                      bool* removed)
{
    BERTH_TRY(Json json, parseAuthFile(authJson, "auth file"));
    *removed = false;
    if (json.contains("auths")) {
        std::vector<std::string> keys;
        for (const auto& [key, entry] : json["auths"].items())
            if (normaliseKey(key) == registry) keys.push_back(key);
        for (const auto& key : keys)
            json["auths"].erase(key);
        *removed = !keys.empty();
    }
    return json.dump(1, '\t') + "\n";
}

namespace
{

Result<std::string> readOrEmpty(const std::string& file)
{
    auto text = readFile(file, 4 << 20);
    if (!text && text.error().errnum() == ENOENT) return std::string();
    return text;
}

Result<void> writeSecret(const std::string& file, const std::string& text)
{
    auto slash = file.rfind('/');
    if (slash != std::string::npos && slash > 0)
        BERTH_CHECK(makeDirectories(file.substr(0, slash), 0700));
    return writeFileAtomic(file, text, 0600);
}

} // namespace

Result<void> storeCredential(const std::string& file, const std::string& registry,
                             const std::string& username, const std::string& password)
{
    BERTH_TRY(std::string text, readOrEmpty(file));
    BERTH_TRY(std::string updated,
              withCredential(text, registry, username, password).context("'" + file + "'"));
    return writeSecret(file, updated).context("write '" + file + "'");
}

Result<bool> removeCredential(const std::string& file, const std::string& registry)
{
    BERTH_TRY(std::string text, readOrEmpty(file));
    if (text.empty()) return false;
    bool removed = false;
    BERTH_TRY(std::string updated,
              withoutCredential(text, registry, &removed).context("'" + file + "'"));
    if (removed) BERTH_CHECK(writeSecret(file, updated).context("write '" + file + "'"));
    return removed;
}

} // namespace berth
