#include <berth/base/log.hpp>
#include <berth/fetch/discovery.hpp>
#include <cctype>
#include <sys/utsname.h>

namespace berth
{

namespace
{

bool isIdentifierChar(char c)
{
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) ||
           std::string_view("-._~/").find(c) != std::string_view::npos;
}

bool isAcName(std::string_view s)
{
    if (s.empty() || s.front() == '-' || s.back() == '-') return false;
    for (char c : s)
        if (!(std::islower(static_cast<unsigned char>(c)) ||
              std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
            return false;
    return true;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The attributes of one tag's text ("meta name=x content='y'").
std::map<std::string, std::string> attributes(std::string_view tag)
{
    std::map<std::string, std::string> attrs;
    size_t i = 0;
    auto skipSpace = [&] {
        while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i])))
            ++i;
    };
    while (i < tag.size()) {
        skipSpace();
        size_t start = i;
        while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i])) &&
               tag[i] != '=' && tag[i] != '/')
            ++i;
        std::string name = lower(tag.substr(start, i - start));
        if (name.empty()) {
            ++i;
            continue;
        }
        skipSpace();
        std::string value;
        if (i < tag.size() && tag[i] == '=') {
            ++i;
            skipSpace();
            if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
                char quote = tag[i++];
                size_t end = tag.find(quote, i);
                if (end == std::string_view::npos) end = tag.size();
                value = std::string(tag.substr(i, end - i));
                i = end + 1;
            } else {
                size_t vstart = i;
                while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i])))
                    ++i;
                value = std::string(tag.substr(vstart, i - vstart));
            }
        }
        attrs.emplace(std::move(name), std::move(value));
    }
    return attrs;
}

std::string hostArch()
{
    struct utsname u;
    if (::uname(&u) != 0) return "amd64";
    std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "i686" || m == "i586" || m == "i386") return "i386";
    return m; // aarch64, armv7l, ppc64le, s390x: appc spells them as uname does
}

// A name is discovered from its page and its parents' pages: a/b/c, a/b, a.
std::vector<std::string> namesToTry(const std::string& name)
{
    std::vector<std::string> names;
    std::string n = name;
    while (!n.empty()) {
        names.push_back(n);
        auto slash = n.rfind('/');
        if (slash == std::string::npos) break;
        n.resize(slash);
    }
    return names;
}

} // namespace

std::string appcArch()
{
    return hostArch();
}

std::string AppName::str() const
{
    std::string s = name;
    for (const auto& [k, v] : labels)
        s += "," + k + "=" + v;
    return s;
}

Result<AppName> parseAppName(const std::string& text)
{
    AppName app;
    std::string rest = text;
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        auto comma = rest.find(',', start);
        parts.push_back(rest.substr(start, comma == std::string::npos ? comma : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    std::string name = parts[0];
    // ":version" after the last '/' is shorthand for the version label.
    auto slash = name.rfind('/');
    auto colon = name.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        app.labels["version"] = name.substr(colon + 1);
        name.resize(colon);
        if (app.labels["version"].empty())
            return Error("image name '" + text + "': empty version after ':'");
    }
    if (name.empty() || name.front() == '/' || name.back() == '/' ||
        name.find("//") != std::string::npos)
        return Error("image name '" + text + "' is not an appc name (example.com/app)");
    for (char c : name)
        if (!isIdentifierChar(c))
            return Error("image name '" + text + "': '" + std::string(1, c) +
                         "' is not allowed in an appc name (lowercase letters, digits, -._~/)");
    for (size_t i = 1; i < parts.size(); ++i) {
        auto eq = parts[i].find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == parts[i].size())
            return Error("image name '" + text + "': label '" + parts[i] + "' is not NAME=VALUE");
        std::string key = parts[i].substr(0, eq);
        if (!isAcName(key)) return Error("image name '" + text + "': bad label name '" + key + "'");
        app.labels[key] = parts[i].substr(eq + 1);
    }
    app.name = name;
    return app;
}

bool isDiscoverableName(const std::string& text)
{
    if (text.starts_with("sha256:") || text.starts_with("sha512-")) return false;
    std::string first = text.substr(0, text.find_first_of("/:,"));
    if (first.find('.') == std::string::npos || first.front() == '.' || first == "localhost")
        return false;
    return parseAppName(text).has_value();
}

DiscoveryPage parseDiscoveryPage(std::string_view html)
{
    DiscoveryPage page;
    std::string lowered = lower(html);
    size_t pos = 0;
    while ((pos = lowered.find("<meta", pos)) != std::string::npos) {
        size_t end = lowered.find('>', pos);
        if (end == std::string::npos) break;
        // Attribute values keep their case; only names are case-insensitive.
        auto attrs = attributes(html.substr(pos + 5, end - pos - 5));
        pos = end + 1;
        std::string name = lower(attrs["name"]);
        if (name != "ac-discovery" && name != "ac-discovery-pubkeys") continue;
        std::string content = attrs["content"];
        size_t a = content.find_first_not_of(" \t\n");
        if (a == std::string::npos) continue;
        size_t b = content.find_first_of(" \t\n", a);
        if (b == std::string::npos) continue;
        size_t c = content.find_first_not_of(" \t\n", b);
        if (c == std::string::npos) continue;
        size_t d = content.find_first_of(" \t\n", c);
        DiscoveryEntry entry{content.substr(a, b - a),
                             content.substr(c, d == std::string::npos ? d : d - c)};
        (name == "ac-discovery" ? page.templates : page.pubkeys).push_back(std::move(entry));
    }
    return page;
}

std::optional<std::string> renderTemplate(std::string_view tmpl,
                                          const std::map<std::string, std::string>& variables)
{
    std::string out;
    size_t i = 0;
    while (i < tmpl.size()) {
        if (tmpl[i] != '{') {
            out += tmpl[i++];
            continue;
        }
        size_t close = tmpl.find('}', i);
        if (close == std::string_view::npos) return std::nullopt;
        std::string key(tmpl.substr(i + 1, close - i - 1));
        auto it = variables.find(key);
        if (it == variables.end()) return std::nullopt;
        out += it->second;
        i = close + 1;
    }
    return out;
}

namespace
{

bool hasPrefix(const std::string& name, const std::string& prefix)
{
    if (!name.starts_with(prefix)) return false;
    // "example.com/app" applies to "example.com/app" and "example.com/app/x",
    // not "example.com/apple"; a prefix ending in '/' is taken as written.
    return name.size() == prefix.size() || prefix.ends_with("/") || name[prefix.size()] == '/';
}

} // namespace

Result<DiscoveredImage> discoverImage(HttpClient& http, const AppName& app)
{
    std::map<std::string, std::string> vars = app.labels;
    vars["name"] = app.name;
    vars.try_emplace("os", "linux");
    vars.try_emplace("arch", hostArch());
    vars.try_emplace("version", "latest");
    std::vector<std::string> tried;
    for (const auto& candidate : namesToTry(app.name)) {
        std::vector<std::string> schemes{"https://"};
        if (http.options().allowHttp) schemes.push_back("http://");
        std::optional<HttpResponse> page;
        std::string pageUrl;
        for (const auto& scheme : schemes) {
            HttpRequest request;
            request.url = scheme + candidate + "?ac-discovery=1";
            request.maxResponseBytes = 1 << 20;
            auto response = http.send(request);
            if (!response) {
                if (&scheme == &schemes.back())
                    return std::move(response).error().addContext("discover '" + app.str() +
                                                                  "' at " + request.url);
                continue;
            }
            page = std::move(*response);
            pageUrl = request.url;
            break;
        }
        tried.push_back(pageUrl + " (HTTP " + std::to_string(page->status) + ")");
        if (page->status >= 400 && page->status < 500) continue; // walk up
        if (page->status != 200)
            return Error("discover '" + app.str() + "': " + pageUrl + " answered HTTP " +
                         std::to_string(page->status));
        DiscoveryPage parsed = parseDiscoveryPage(page->body);
        DiscoveredImage found;
        found.pageUrl = pageUrl;
        for (const auto& entry : parsed.templates) {
            if (!hasPrefix(app.name, entry.prefix)) continue;
            vars["ext"] = "aci";
            auto image = renderTemplate(entry.value, vars);
            vars["ext"] = "aci.asc";
            auto signature = renderTemplate(entry.value, vars);
            if (!image || !signature) continue;
            found.imageUrls.push_back(*image);
            found.signatureUrls.push_back(*signature);
        }
        for (const auto& entry : parsed.pubkeys)
            if (hasPrefix(app.name, entry.prefix)) found.pubkeys.push_back(entry.value);
        if (!found.imageUrls.empty()) {
            logDebug("discovered {} at {}", app.str(), pageUrl);
            return found;
        }
        tried.back() += ", no template for this name";
    }
    std::string list;
    for (const auto& t : tried)
        list += (list.empty() ? "" : "; ") + t;
    return Error("appc discovery found no image for '" + app.str() + "' (tried " + list +
                 "); check the name, version and labels, or fetch it by URL");
}

} // namespace berth
