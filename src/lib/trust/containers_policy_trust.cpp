#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/base/json.hpp>
#include <berth/trust/containers_policy_trust.hpp>
#include <berth/trust/openpgp_fingerprint.hpp>
#include <berth/trust/prefix.hpp>
#include <cerrno>
#include <cstdlib>
#include <openssl/evp.h>

namespace berth
{

namespace
{

Result<std::string> decodeBase64(const std::string& text, const std::string& what)
{
    std::string clean;
    for (char c : text)
        if (c != '\n' && c != '\r' && c != ' ') clean += c;
    if (clean.size() % 4 != 0) return Error(what + ": keyData is not base64");
    std::string out(clean.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(clean.data()),
                            static_cast<int>(clean.size()));
    if (n < 0) return Error(what + ": keyData is not base64");
    size_t padding = 0;
    if (!clean.empty() && clean.back() == '=')
        padding = clean.size() > 1 && clean[clean.size() - 2] == '=' ? 2 : 1;
    out.resize(static_cast<size_t>(n) - padding);
    return out;
}

// A string member of a requirement, "" when absent. Json::value() would
// throw on any other type, and the policy is anyone's to write.
Result<std::string> stringMember(const Json& requirement, const char* key, const std::string& what)
{
    auto it = requirement.find(key);
    if (it == requirement.end()) return std::string();
    if (!it->is_string()) return Error(what + ": \"" + key + "\" is not a string");
    return it->get<std::string>();
}

// The key data a signedBy requirement names.
Result<std::vector<std::string>> keyDataOf(const Json& requirement, const std::string& what)
{
    BERTH_TRY(std::string keyType, stringMember(requirement, "keyType", what));
    if (keyType != "GPGKeys") return std::vector<std::string>{}; // sigstore keys are not OpenPGP
    std::vector<std::string> paths;
    if (auto it = requirement.find("keyPath"); it != requirement.end() && it->is_string())
        paths.push_back(it->get<std::string>());
    if (auto it = requirement.find("keyPaths"); it != requirement.end() && it->is_array())
        for (const auto& path : *it)
            if (path.is_string()) paths.push_back(path.get<std::string>());
    std::vector<std::string> data;
    for (const auto& path : paths) {
        BERTH_TRY(std::string bytes, readFile(path, 1 << 20).context(what));
        data.push_back(std::move(bytes));
    }
    if (auto it = requirement.find("keyData"); it != requirement.end() && it->is_string()) {
        BERTH_TRY(std::string bytes, decodeBase64(it->get<std::string>(), what));
        data.push_back(std::move(bytes));
    }
    return data;
}

} // namespace

std::string defaultContainersPolicyFile()
{
    if (const char* home = std::getenv("HOME"); home && home[0] == '/') {
        std::string user = std::string(home) + "/.config/containers/policy.json";
        if (pathExists(user)) return user;
    }
    return "/etc/containers/policy.json";
}

Result<std::vector<std::string>> containersPolicyKeyData(const std::string& policyFile,
                                                         const std::string& repository)
{
    auto text = readFile(policyFile, 4 << 20);
    if (!text) {
        if (text.error().errnum() == ENOENT) return std::vector<std::string>{};
        return std::move(text).error();
    }
    return containersPolicyKeyDataIn(*text, "containers policy '" + policyFile + "'", repository);
}

Result<std::vector<std::string>> containersPolicyKeyDataIn(std::string_view text,
                                                           const std::string& what,
                                                           const std::string& repository)
{
    std::vector<std::string> data;
    BERTH_TRY(Json policy, parseJson(text, what));
    if (!policy.is_object()) return Error(what + ": not a JSON object");
    auto transports = policy.find("transports");
    if (transports == policy.end() || !transports->is_object()) return data;
    auto docker = transports->find("docker");
    if (docker == transports->end() || !docker->is_object()) return data;
    const Json* requirements = nullptr;
    for (const auto& scope : prefixChain(repository)) {
        if (auto it = docker->find(scope); it != docker->end()) {
            requirements = &*it;
            break;
        }
    }
    if (!requirements || !requirements->is_array()) return data;
    for (const auto& requirement : *requirements) {
        if (!requirement.is_object()) continue;
        BERTH_TRY(std::string type, stringMember(requirement, "type", what));
        if (type != "signedBy") continue;
        BERTH_TRY(auto keys, keyDataOf(requirement, what));
        for (auto& bytes : keys)
            data.push_back(std::move(bytes));
    }
    return data;
}

Result<bool> containersPolicyTrusts(const std::string& policyFile, const std::string& repository,
                                    const std::string& fingerprint)
{
    BERTH_TRY(auto data, containersPolicyKeyData(policyFile, repository));
    for (const auto& bytes : data) {
        auto fprs = primaryKeyFingerprints(bytes);
        if (std::find(fprs.begin(), fprs.end(), fingerprint) != fprs.end()) return true;
    }
    return false;
}

} // namespace berth
