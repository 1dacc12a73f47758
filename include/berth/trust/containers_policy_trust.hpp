#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// The part of the containers policy.json that needs no gpg, so that the
// check at every run can use it (see stored_image_trust.hpp).

// The containers policy.json berth honours: ~/.config/containers/policy.json
// when it exists, else /etc/containers/policy.json.
std::string defaultContainersPolicyFile();

// The raw key data (each as read from keyPath, keyPaths or decoded from
// keyData) of the "signedBy" requirements with keyType GPGKeys of the most
// specific docker transport scope covering `repository` ("host/path"), as
// containers tools choose it: the repository, then each namespace above it,
// then the registry. A missing file gives none; a malformed one is an error.
Result<std::vector<std::string>> containersPolicyKeyData(const std::string& policyFile,
                                                         const std::string& repository);

// The same from the text of a policy.json (hostile: any user may write
// one); `what` names it in errors.
Result<std::vector<std::string>> containersPolicyKeyDataIn(std::string_view text,
                                                           const std::string& what,
                                                           const std::string& repository);

// Does that scope still name the key with this primary fingerprint? Reads
// the key files' packets (primaryKeyFingerprints), not gpg.
Result<bool> containersPolicyTrusts(const std::string& policyFile, const std::string& repository,
                                    const std::string& fingerprint);

} // namespace berth
