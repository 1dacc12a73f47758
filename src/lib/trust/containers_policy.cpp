#include <berth/trust/containers_policy.hpp>
#include <berth/trust/public_key.hpp>

namespace berth
{

Result<std::vector<KeyMaterial>> containersPolicyKeys(const std::string& policyFile,
                                                      const std::string& repository,
                                                      const std::string& scratchDir)
{
    BERTH_TRY(auto data, containersPolicyKeyData(policyFile, repository));
    const std::string what = "containers policy '" + policyFile + "'";
    std::vector<KeyMaterial> keys;
    for (const auto& bytes : data) {
        BERTH_TRY(auto parsed, readPublicKeys(bytes, scratchDir).context(what));
        for (auto& key : parsed)
            keys.push_back({key.fingerprint, std::move(key.armored)});
    }
    return keys;
}

} // namespace berth
