#include <berth/fetch/credentials.hpp>
#include <berth/fetch/docker_reference.hpp>
#include <berth/fetch/http_client.hpp>
#include <berth/fetch/registry_client.hpp>
#include <berth/fetch/registry_login.hpp>
#include <cctype>

namespace berth
{

Result<std::string> normaliseRegistryName(const std::string& text)
{
    std::string name = text;
    for (const char* scheme : {"docker://", "https://", "http://"})
        if (name.starts_with(scheme)) name = name.substr(std::string_view(scheme).size());
    if (auto slash = name.find('/'); slash != std::string::npos) name.resize(slash);
    for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.empty()) return Error("no registry named in '" + text + "'");
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
              c == '[' || c == ']'))
            return Error("'" + text + "' is not a registry host[:port]");
    return name;
}

Result<std::string> loginToRegistry(const std::string& registryText, const std::string& username,
                                    const std::string& password, const FetchOptions& options)
{
    BERTH_TRY(std::string registry, normaliseRegistryName(registryText));
    if (username.empty()) return Error("login to " + registry + ": no username given");
    HttpOptions httpOptions;
    httpOptions.verifyTls = !options.insecureTls;
    httpOptions.allowHttp = options.allowHttp;
    httpOptions.connectTimeoutSeconds = options.connectTimeoutSeconds;
    httpOptions.retry.maxAttempts = options.maxAttempts;
    HttpClient http(httpOptions);
    DockerReference ref;
    ref.registry = registry;
    Credential credential{username, password, "the command line", {}};
    RegistryClient client(http, ref, credential);
    BERTH_CHECK(client.ping().context("login to " + registry));
    std::string file = options.authFile.empty() ? defaultAuthFile() : options.authFile;
    BERTH_CHECK(storeCredential(file, registry, username, password));
    return file;
}

Result<bool> logoutFromRegistry(const std::string& registryText, const std::string& authFile)
{
    BERTH_TRY(std::string registry, normaliseRegistryName(registryText));
    std::vector<std::string> files =
        authFile.empty() ? credentialFiles() : std::vector<std::string>{authFile};
    bool removed = false;
    for (const auto& file : files) {
        BERTH_TRY(bool here, removeCredential(file, registry));
        removed = removed || here;
    }
    return removed;
}

} // namespace berth
