#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/credentials.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace berth
{

// The program a credHelpers / credsStore entry names: "docker-credential-"
// + NAME. Refused when NAME could escape PATH lookup (a slash) or is empty.
Result<std::string> credentialHelperProgram(const std::string& name);

// Reads a helper's answer to "get": {"ServerURL", "Username", "Secret"}.
// Hostile input as much as a registry's answer: bounded, and only those
// strings are taken.
Result<Credential> parseCredentialHelperOutput(std::string_view json, const std::string& program);

// Runs `docker-credential-NAME get` with `server` (HOST[:PORT]) on stdin,
// as Docker and Podman do, and reads its answer. A helper that says it has
// nothing for the server ("credentials not found") gives nullopt; any other
// failure, a missing helper or one that does not finish within `timeout`
// is one error naming the helper.
Result<std::optional<Credential>>
runCredentialHelper(const std::string& name, const std::string& server,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));

} // namespace berth
