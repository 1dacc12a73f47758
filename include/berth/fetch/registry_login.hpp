#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/fetch_options.hpp>
#include <string>

namespace berth
{

// "docker://host:5000/x", "https://host/", "host:5000" → "host:5000".
Result<std::string> normaliseRegistryName(const std::string& text);

// Checks the credentials against the registry (GET /v2/ answering its
// challenge) and, when accepted, writes them to `authFile` (empty: the
// default auth.json) in the format Podman and Docker read.
// Returns the file written.
Result<std::string> loginToRegistry(const std::string& registry, const std::string& username,
                                    const std::string& password, const FetchOptions& options);

// Removes the registry's credentials from `authFile` (empty: every file
// berth reads credentials from). Returns false when none were stored.
Result<bool> logoutFromRegistry(const std::string& registry, const std::string& authFile);

} // namespace berth
