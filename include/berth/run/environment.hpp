#pragma once

#include <berth/base/result.hpp>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace berth
{

using EnvList = std::vector<std::pair<std::string, std::string>>;
// Looks a variable up in the caller's environment (for `-e K`).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The PATH an app gets when its image sets none (Podman's).
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Parses an --env-file: one K=V per line, `#` comments and blank lines
// skipped, a bare K copied from the caller. `name` is for errors.
Result<EnvList> parseEnvFile(const std::string& text, const std::string& name,
                             const EnvLookup& lookup);

// Parses one -e argument: "K=V" (V may hold anything, '=' included) or "K"
// (copied from the caller; nothing when the caller has no K).
Result<std::optional<std::pair<std::string, std::string>>>
parseEnvArgument(const std::string& arg, const EnvLookup& lookup);

// Sets K, replacing an earlier value in place so the order stays stable.
void setEnv(EnvList& env, const std::string& key, const std::string& value);
bool hasEnv(const EnvList& env, const std::string& key);

// The caller's environment.
EnvLookup processEnvLookup();

// "K=V" strings for execve.
std::vector<std::string> formatEnv(const EnvList& env);

} // namespace berth
