#include <berth/base/printable.hpp>
#include <berth/image/reference.hpp>

namespace berth
{

namespace
{

// Splits "PATH[:TAG]" for oci: and oci-archive:. A path may itself contain
// ':', so the tag is what follows the last ':' only when it contains no '/'.
void splitPathTag(const std::string& rest, std::string* path, std::string* tag)
{
    auto colon = rest.rfind(':');
    if (colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
        *path = rest.substr(0, colon);
        *tag = rest.substr(colon + 1);
    } else {
        *path = rest;
        tag->clear();
    }
}

} // namespace

Result<ImageReference> ImageReference::parse(const std::string& text)
{
    ImageReference ref;
    ref.original = text;
    if (text.empty()) return Error("empty image reference");
    // It is recorded as the image's source and may become its name: both
    // are kept as JSON, which holds only UTF-8.
    if (!isValidUtf8(text)) return Error("image reference '" + text + "' is not valid UTF-8");
    if (text.starts_with("oci:")) {
        ref.transport = Transport::OciLayout;
        splitPathTag(text.substr(4), &ref.path, &ref.tag);
    } else if (text.starts_with("oci-archive:")) {
        ref.transport = Transport::OciArchive;
        splitPathTag(text.substr(12), &ref.path, &ref.tag);
    } else if (text.starts_with("docker-archive:")) {
        ref.transport = Transport::DockerArchive;
        splitPathTag(text.substr(15), &ref.path, &ref.tag);
    } else if (text.starts_with("docker://")) {
        ref.transport = Transport::Docker;
        std::string rest = text.substr(9);
        if (auto at = rest.find('@'); at != std::string::npos) {
            ref.digest = rest.substr(at + 1);
            rest = rest.substr(0, at);
        }
        auto slash = rest.rfind('/');
        auto colon = rest.rfind(':');
        if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
            ref.tag = rest.substr(colon + 1);
            rest = rest.substr(0, colon);
        }
        ref.path = rest;
    } else if (text.starts_with("file://")) {
        ref.transport = Transport::AciFile;
        ref.path = text.substr(7);
    } else if (text.starts_with("https://") || text.starts_with("http://")) {
        ref.transport = Transport::Https;
        ref.path = text;
    } else if (text.ends_with(".aci") || text.starts_with("/") || text.starts_with("./") ||
               text.starts_with("../")) {
        ref.transport = Transport::AciFile;
        ref.path = text;
    } else {
        ref.transport = Transport::Stored;
        ref.path = text;
    }
    if (ref.transport != Transport::Stored && ref.path.empty())
        return Error("image reference '" + text + "' names no path");
    return ref;
}

bool ImageReference::isLocalFile() const
{
    return transport == Transport::OciLayout || transport == Transport::OciArchive ||
           transport == Transport::DockerArchive || transport == Transport::AciFile;
}

} // namespace berth
