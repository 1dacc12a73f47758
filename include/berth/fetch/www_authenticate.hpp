#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// One challenge of a WWW-Authenticate header (RFC 7235): a scheme and its
// parameters, e.g. Bearer realm="https://auth.example/token",service="r".
struct AuthChallenge {
    std::string scheme;                        // lowercased: "bearer", "basic"
    std::map<std::string, std::string> params; // keys lowercased, values unquoted

    std::string param(const std::string& key) const;
};

// Parses every challenge in a header value. Registries differ in spacing,
// quoting and parameter order, and one header may carry several challenges
// separated by commas; a malformed tail is dropped rather than failing the
// whole header, since a usable challenge before it is still worth trying.
std::vector<AuthChallenge> parseWwwAuthenticate(std::string_view header);

} // namespace berth
