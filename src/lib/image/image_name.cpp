#include <berth/base/printable.hpp>
#include <berth/image/image_name.hpp>

namespace berth
{

namespace
{

bool isLower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool isAlnum(char c)
{
    return isLower(c) || (c >= 'A' && c <= 'Z');
}

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool isDockerPathComponent(std::string_view c)
{
    if (c.empty() || !isLower(c.front()) || !isLower(c.back())) return false;
    for (size_t i = 0; i < c.size();) {
        if (isLower(c[i])) {
            ++i;
            continue;
        }
        size_t start = i;
        while (i < c.size() && !isLower(c[i]))
            ++i;
        std::string_view sep = c.substr(start, i - start);
        bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
        if (sep != "." && sep != "_" && sep != "__" && !dashes) return false;
    }
    return true;
}

// host[:port]: dot-separated labels of letters, digits and inner dashes.
bool isDockerDomain(std::string_view d)
{
    if (auto colon = d.rfind(':'); colon != std::string_view::npos) {
        std::string_view port = d.substr(colon + 1);
        if (port.empty() || port.size() > 5 ||
            port.find_first_not_of("0123456789") != std::string_view::npos)
            return false;
        d = d.substr(0, colon);
    }
    if (d.empty()) return false;
    size_t start = 0;
    while (true) {
        size_t dot = d.find('.', start);
        std::string_view label = d.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label.empty() || !isAlnum(label.front()) || !isAlnum(label.back())) return false;
        for (char c : label)
            if (!isAlnum(c) && c != '-') return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

bool isDockerTag(std::string_view t)
{
    if (t.empty() || t.size() > 128) return false;
    auto word = [](char c) { return isAlnum(c) || c == '_'; };
    if (!word(t.front())) return false;
    for (char c : t)
        if (!word(c) && c != '.' && c != '-') return false;
    return true;
}

} // namespace

bool isValidDockerRepoTag(std::string_view text)
{
    std::string_view name = text;
    auto slash = text.rfind('/');
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        if (!isDockerTag(text.substr(colon + 1))) return false;
        name = text.substr(0, colon);
    }
    if (name.empty() || name.size() > 255) return false;
    size_t start = 0;
    bool first = true;
    while (true) {
        size_t next = name.find('/', start);
        std::string_view part =
            name.substr(start, next == std::string_view::npos ? next : next - start);
        // The first of several components is the registry when it looks
        // like a host: it has a dot or a port, or is localhost.
        bool domain = first && next != std::string_view::npos &&
                      (part.find_first_of(".:") != std::string_view::npos || part == "localhost" ||
                       part.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos);
        if (domain ? !isDockerDomain(part) : !isDockerPathComponent(part)) return false;
        if (next == std::string_view::npos) return true;
        start = next + 1;
        first = false;
    }
}

bool isValidOciRefName(std::string_view text)
{
    if (text.empty()) return false;
    size_t start = 0;
    while (true) {
        size_t next = text.find('/', start);
        std::string_view c =
            text.substr(start, next == std::string_view::npos ? next : next - start);
        if (c.empty() || !isAlnum(c.front()) || !isAlnum(c.back())) return false;
        for (size_t i = 0; i < c.size();) {
            if (isAlnum(c[i])) {
                ++i;
                continue;
            }
            if (c.substr(i, 2) == "--") {
                i += 2;
            } else if (std::string_view("-._:@+").find(c[i]) != std::string_view::npos) {
                ++i;
            } else {
                return false;
            }
            if (i >= c.size() || !isAlnum(c[i])) return false;
        }
        if (next == std::string_view::npos) return true;
        start = next + 1;
    }
}

Result<void> checkStoredName(std::string_view name, std::string_view tag, std::string_view what)
{
    if (name.empty() || name.size() > 255 || !isPlainText(name) ||
        name.find(' ') != std::string_view::npos)
        return Error(std::string(what) + ": name '" + std::string(name) +
                     "' is not a valid image name");
    if (tag.size() > 128 || !isPlainText(tag) || tag.find_first_of(" /") != std::string_view::npos)
        return Error(std::string(what) + ": tag '" + std::string(tag) +
                     "' is not a valid image tag");
    return ok();
}

} // namespace berth
