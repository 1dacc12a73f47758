#pragma once

#include <berth/base/result.hpp>
#include <berth/store/digest.hpp>
#include <optional>
#include <string>

namespace berth
{

// docker://HOST[:PORT]/REPO[:TAG|@DIGEST], split and validated so that each
// part is safe to put in a URL path.
struct DockerReference {
    std::string registry;   // "host[:port]", as the user wrote it (lowercased)
    std::string repository; // "ns/app"
    std::string tag;        // "latest" when neither tag nor digest is given
    std::optional<Digest> digest;

    // The tag or digest, as the manifest endpoint takes it.
    std::string manifestReference() const { return digest ? digest->str() : tag; }
    // "host:port/ns/app:tag" or "host:port/ns/app@sha256:…", for messages.
    std::string str() const;
    // The name recorded in the store: "host:port/ns/app".
    std::string name() const { return registry + "/" + repository; }
};

// Parses what follows "docker://". A first component without '.' or ':'
// that is not "localhost" is refused: berth does not guess a default
// registry, so every reference says where it comes from.
Result<DockerReference> parseDockerReference(const std::string& text);

} // namespace berth
