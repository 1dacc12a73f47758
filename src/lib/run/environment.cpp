#include <berth/run/environment.hpp>
#include <cstdlib>

namespace berth
{

namespace
{

bool validName(const std::string& key)
{
    // Anything but '=' and NUL is allowed by execve; odd names (dots, dashes)
    // are used by real programs, so only the impossible is refused.
    return !key.empty() && key.find('=') == std::string::npos &&
           key.find('\0') == std::string::npos;
}

} // namespace

void setEnv(EnvList& env, const std::string& key, const std::string& value)
{
    for (auto& [k, v] : env)
        if (k == key) {
            v = value;
            return;
        }
    env.emplace_back(key, value);
}

bool hasEnv(const EnvList& env, const std::string& key)
{
    for (const auto& [k, v] : env)
        if (k == key) return true;
    return false;
}

Result<std::optional<std::pair<std::string, std::string>>> parseEnvArgument(const std::string& arg,
                                                                            const EnvLookup& lookup)
{
    size_t eq = arg.find('=');
    std::string key = arg.substr(0, eq);
    if (!validName(key))
        return Error("invalid environment variable '" + arg + "': the name must be non-empty");
    if (eq != std::string::npos)
        return std::optional<std::pair<std::string, std::string>>{{key, arg.substr(eq + 1)}};
    if (auto value = lookup(key))
        return std::optional<std::pair<std::string, std::string>>{{key, *value}};
    return std::optional<std::pair<std::string, std::string>>{};
}

Result<EnvList> parseEnvFile(const std::string& text, const std::string& name,
                             const EnvLookup& lookup)
{
    EnvList out;
    size_t start = 0;
    int lineNumber = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end == std::string::npos ? end : end - start);
        start = end == std::string::npos ? text.size() : end + 1;
        ++lineNumber;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        // Leading blanks are layout; the value keeps every other byte.
        line.erase(0, first);
        auto entry = parseEnvArgument(line, lookup);
        if (!entry)
            return std::move(entry).error().addContext("env file '" + name + "' line " +
                                                       std::to_string(lineNumber));
        if (*entry) setEnv(out, (*entry)->first, (*entry)->second);
    }
    return out;
}

EnvLookup processEnvLookup()
{
    return [](const std::string& key) -> std::optional<std::string> {
        if (const char* v = std::getenv(key.c_str())) return std::string(v);
        return std::nullopt;
    };
}

std::vector<std::string> formatEnv(const EnvList& env)
{
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env)
        out.push_back(k + "=" + v);
    return out;
}

} // namespace berth
