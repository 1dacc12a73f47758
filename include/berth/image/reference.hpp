#pragma once

#include <berth/base/result.hpp>
#include <string>

namespace berth
{

// Where an image comes from, as the user wrote it.
struct ImageReference {
    enum class Transport {
        OciLayout,     // oci:DIR[:TAG]
        OciArchive,    // oci-archive:FILE[:TAG]
        DockerArchive, // docker-archive:FILE
        AciFile,       // PATH.aci, file://PATH
        Docker,        // docker://HOST/REPO[:TAG|@DIGEST]
        Https,         // https://…/NAME.aci (or http:// with --insecure-options=http)
        Stored,        // name[:tag], an image ID, or an ID prefix
    };
    Transport transport = Transport::Stored;
    std::string original; // what the user typed
    std::string path;     // file or directory (local transports), URL (Https), or the name
    std::string tag;      // oci: tag, docker tag; empty when not given
    std::string digest;   // docker://…@DIGEST

    static Result<ImageReference> parse(const std::string& text);
    bool isLocalFile() const;
};

} // namespace berth
