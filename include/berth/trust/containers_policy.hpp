#pragma once

#include <berth/base/result.hpp>
#include <berth/trust/containers_policy_trust.hpp>
#include <berth/trust/verifier.hpp>
#include <string>
#include <vector>

namespace berth
{

// The keys of the "signedBy" (keyType GPGKeys: keyPath, keyPaths or keyData)
// requirements of the most specific docker transport scope covering
// `repository` ("host/path"), as containers tools choose it: the repository,
// then each namespace above it, then the registry. berth treats them as
// extra trust for that scope, beside its own keyring. Nothing else in the
// policy is read: "insecureAcceptAnything" and "reject" never change berth's
// own rule that images must be signed by a trusted key. A missing file gives
// no keys; a malformed one is an error.
Result<std::vector<KeyMaterial>> containersPolicyKeys(const std::string& policyFile,
                                                      const std::string& repository,
                                                      const std::string& scratchDir = {});

} // namespace berth
