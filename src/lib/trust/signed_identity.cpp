#include <berth/trust/signed_identity.hpp>

namespace berth
{

namespace
{

bool isPathByte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
           c == '/';
}

bool isHostByte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
}

bool isTagByte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool validDigest(std::string_view digest)
{
    size_t colon = digest.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == digest.size()) return false;
    for (char c : digest.substr(0, colon))
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' ||
              c == '_' || c == '-'))
            return false;
    for (char c : digest.substr(colon + 1))
        if (!((c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'))) return false;
    return true;
}

} // namespace

std::string SignedIdentity::str() const
{
    std::string out = repository;
    if (!tag.empty()) out += ":" + tag;
    if (!digest.empty()) out += "@" + digest;
    return out;
}

Result<SignedIdentity> parseSignedIdentity(std::string_view text)
{
    auto invalid = [&](const char* why) {
        return Error("invalid docker reference '" + std::string(text) + "': " + why);
    };
    std::string_view rest = text;
    if (rest.starts_with("docker://")) rest.remove_prefix(9);
    SignedIdentity id;
    if (size_t at = rest.find('@'); at != std::string_view::npos) {
        id.digest = std::string(rest.substr(at + 1));
        rest = rest.substr(0, at);
        if (!validDigest(id.digest)) return invalid("malformed digest");
    }
    size_t lastSlash = rest.rfind('/');
    size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos &&
        (lastSlash == std::string_view::npos || colon > lastSlash)) {
        id.tag = std::string(rest.substr(colon + 1));
        rest = rest.substr(0, colon);
        if (id.tag.empty() || id.tag.size() > 128 || id.tag[0] == '.' || id.tag[0] == '-')
            return invalid("malformed tag");
        for (char c : id.tag)
            if (!isTagByte(c)) return invalid("malformed tag");
    }
    if (rest.empty()) return invalid("no repository");

    std::string host;
    std::string path;
    size_t slash = rest.find('/');
    std::string_view first = rest.substr(0, slash);
    bool hasUpper = false;
    for (char c : first)
        hasUpper = hasUpper || (c >= 'A' && c <= 'Z');
    // Docker's rule for telling a registry from a first path component.
    bool firstIsHost =
        slash != std::string_view::npos &&
        (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
         first == "localhost" || hasUpper);
    if (firstIsHost) {
        for (char c : first)
            host += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        path = std::string(rest.substr(slash + 1));
    } else {
        host = "docker.io";
        path = std::string(rest);
    }
    if (host == "index.docker.io") host = "docker.io";
    if (host == "docker.io" && path.find('/') == std::string::npos) path = "library/" + path;

    for (char c : host)
        if (!isHostByte(c)) return invalid("malformed registry");
    if (path.empty() || path.front() == '/' || path.back() == '/' ||
        path.find("//") != std::string::npos)
        return invalid("malformed repository path");
    for (char c : path)
        if (!isPathByte(c))
            return invalid("repository paths are lowercase letters, digits and . _ - /");
    id.repository = host + "/" + path;
    if (id.tag.empty() && id.digest.empty()) id.tag = "latest";
    return id;
}

bool signedIdentityMatches(const SignedIdentity& signedIdentity, const SignedIdentity& image)
{
    if (!image.digest.empty()) return signedIdentity.repository == image.repository;
    return signedIdentity.repository == image.repository && signedIdentity.tag == image.tag &&
           signedIdentity.digest.empty();
}

} // namespace berth
