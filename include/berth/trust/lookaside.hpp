#pragma once

#include <berth/base/result.hpp>
#include <berth/store/digest.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth
{

// Where simple-signing signatures live for OCI images, configured the way
// containers/image does it (containers-registries.d(5)): YAML files in a
// registries.d directory with
//   default-docker: {lookaside: URL}
//   docker: {SCOPE: {lookaside: URL}}
// ("sigstore" is the old name of "lookaside" and is read too). SCOPE is a
// registry, a repository or a namespace of one.
struct LookasideConfig {
    std::string defaultLookaside;
    std::map<std::string, std::string> scopes;
};

// The directory containers tools read: ~/.config/containers/registries.d when
// it exists (it replaces the system one), else /etc/containers/registries.d.
std::string defaultRegistriesDirectory();

// Reads every *.yaml file in `dir` (a missing directory is an empty config).
// A scope configured twice is an error, as it is for containers tools.
Result<LookasideConfig> readRegistriesDirectory(const std::string& dir);
Result<void> parseRegistriesYaml(std::string_view yaml, const std::string& what,
                                 LookasideConfig& config);

// The lookaside URL for a repository ("host/path"): the most specific scope
// that covers it, else the default; nullopt when none is configured.
std::optional<std::string> lookasideFor(const LookasideConfig& config,
                                        const std::string& repository);

// The URL (file://, http:// or https://) of signature number `index` (from
// 1): LOOKASIDE/PATH@ALG=HEX/signature-INDEX, PATH being the repository
// without its registry.
std::string lookasideSignatureUrl(const std::string& lookaside, const std::string& repository,
                                  const Digest& manifestDigest, int index);

// Reads signature-1, signature-2, … from a file:// lookaside until one is
// missing. A fetch does the same over http(s) until a 404.
Result<std::vector<std::string>> readFileLookaside(const std::string& lookaside,
                                                   const std::string& repository,
                                                   const Digest& manifestDigest);

} // namespace berth
