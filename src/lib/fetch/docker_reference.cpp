#include <berth/fetch/docker_reference.hpp>
#include <cctype>

namespace berth
{

namespace
{

bool isRepositoryComponent(std::string_view c)
{
    // [a-z0-9]+([._-]|__|-+ [a-z0-9]+)*, checked loosely: lowercase
    // alphanumerics and separators, starting and ending alphanumeric.
    if (c.empty() || !std::isalnum(static_cast<unsigned char>(c.front())) ||
        !std::isalnum(static_cast<unsigned char>(c.back())))
        return false;
    for (char ch : c)
        if (!(std::islower(static_cast<unsigned char>(ch)) ||
              std::isdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-'))
            return false;
    return true;
}

bool isTag(std::string_view t)
{
    if (t.empty() || t.size() > 128 || t.front() == '.' || t.front() == '-') return false;
    for (char ch : t)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-'))
            return false;
    return true;
}

bool isRegistry(std::string_view r)
{
    if (r.empty()) return false;
    for (char ch : r)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':' ||
              ch == '[' || ch == ']'))
            return false;
    return true;
}

} // namespace

std::string DockerReference::str() const
{
    return name() + (digest ? "@" + digest->str() : ":" + tag);
}

Result<DockerReference> parseDockerReference(const std::string& input)
{
    std::string text = input;
    if (text.starts_with("docker://")) text = text.substr(9);
    auto fail = [&](const std::string& why) {
        return Error("invalid registry reference 'docker://" + text + "': " + why);
    };
    DockerReference ref;
    if (auto at = text.find('@'); at != std::string::npos) {
        auto digest = Digest::parse(text.substr(at + 1));
        if (!digest) return fail("the digest is not ALGORITHM:HEX");
        ref.digest = *digest;
        text.resize(at);
    }
    auto slash = text.find('/');
    if (slash == std::string::npos) return fail("expected HOST[:PORT]/REPOSITORY");
    std::string host = text.substr(0, slash);
    std::string rest = text.substr(slash + 1);
    if (host != "localhost" && host.find('.') == std::string::npos &&
        host.find(':') == std::string::npos)
        return fail("'" + host + "' is not a registry host; name one, as in docker://" +
                    "docker.io/library/" + text);
    for (char& c : host)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!isRegistry(host)) return fail("bad registry host '" + host + "'");
    // A tag follows the last ':' of the path.
    if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        ref.tag = rest.substr(colon + 1);
        rest.resize(colon);
        if (!isTag(ref.tag)) return fail("bad tag '" + ref.tag + "'");
    }
    if (rest.empty()) return fail("no repository");
    size_t start = 0;
    while (true) {
        auto end = rest.find('/', start);
        std::string_view component =
            std::string_view(rest).substr(start, end == std::string::npos ? end : end - start);
        if (!isRepositoryComponent(component))
            return fail("bad repository component '" + std::string(component) +
                        "' (lowercase letters, digits, '.', '_' and '-')");
        if (end == std::string::npos) break;
        start = end + 1;
    }
    ref.registry = host;
    ref.repository = rest;
    if (ref.tag.empty() && !ref.digest) ref.tag = "latest";
    return ref;
}

} // namespace berth
