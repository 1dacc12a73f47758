#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/http_client.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// An appc image name as a user writes it: example.com/app[:version][,label=value…].
struct AppName {
    std::string name;
    std::map<std::string, std::string> labels; // "version" from ":version"

    std::string str() const;
};

// Parses and validates (AC Identifier: lowercase, digits, "-._~/"; labels
// AC Names). Refuses what discovery could not look up.
Result<AppName> parseAppName(const std::string& text);

// Whether a bare reference looks like an appc name discovery can resolve
// (its first component is a DNS name with a dot), as opposed to a local
// name or an image ID.
bool isDiscoverableName(const std::string& text);

struct DiscoveryEntry {
    std::string prefix;
    std::string value; // a URL template (ac-discovery) or a key URL (ac-discovery-pubkeys)
};

struct DiscoveryPage {
    std::vector<DiscoveryEntry> templates;
    std::vector<DiscoveryEntry> pubkeys;
};

// Reads the <meta name="ac-discovery" content="PREFIX TEMPLATE"> and
// <meta name="ac-discovery-pubkeys" content="PREFIX URL"> tags of a page.
// Lenient like a browser: attribute order, quoting and case vary.
DiscoveryPage parseDiscoveryPage(std::string_view html);

// Replaces {name} {version} {os} {arch} {ext} and {LABEL} in a template;
// nullopt when a variable is left unfilled (the template does not apply).
std::optional<std::string> renderTemplate(std::string_view tmpl,
                                          const std::map<std::string, std::string>& variables);

// The appc arch label for this host ("amd64", "aarch64", "armv7l", …).
std::string appcArch();

struct DiscoveredImage {
    std::vector<std::string> imageUrls;     // candidates, in the page's order
    std::vector<std::string> signatureUrls; // the same, rendered with ext=aci.asc
    std::vector<std::string> pubkeys;       // ac-discovery-pubkeys that apply
    std::string pageUrl;                    // where the templates were found
};

// Runs meta discovery: GET https://NAME?ac-discovery=1, walking up the name
// one component at a time on a 4xx or when no template applies.
Result<DiscoveredImage> discoverImage(HttpClient& http, const AppName& app);

} // namespace berth
