#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/docker_reference.hpp>
#include <berth/fetch/fetch_options.hpp>
#include <berth/fetch/http_client.hpp>
#include <berth/trust/trust_verdict.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth
{

// Where the simple-signing signatures of a registry image come from: the
// file given with --signature, and the lookaside configured for its
// repository in registries.d (containers-registries.d(5)).
struct SignatureSources {
    std::string trustName; // "host/repo": the name keys are trusted for
    std::string signatureFile;
    std::optional<std::string> lookaside; // file://, http:// or https://

    bool empty() const { return signatureFile.empty() && !lookaside; }
};

// Reads the registries.d configuration; touches no network.
Result<SignatureSources> signatureSourcesFor(const DockerReference& ref,
                                             const FetchOptions& options);

// The signatures for the manifest `manifestDigest`: the --signature file
// and then signature-1, signature-2, … from the lookaside until the first
// one missing (a 404 over http(s), a missing file for file://). Bounded in
// number and size, since the server is as hostile as the registry.
Result<std::vector<std::string>> fetchSignatures(HttpClient& http, const SignatureSources& sources,
                                                 const Digest& manifestDigest);

// The one-line refusal for an image with no signature source at all.
std::string unsignedRegistryImage(const SignatureSources& sources);

} // namespace berth
