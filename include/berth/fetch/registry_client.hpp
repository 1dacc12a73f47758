#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/credentials.hpp>
#include <berth/fetch/docker_reference.hpp>
#include <berth/fetch/http_client.hpp>
#include <berth/fetch/www_authenticate.hpp>
#include <berth/store/digest.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace berth
{

// A manifest or index as the registry served it, with the digest of the
// exact bytes (what a pull by digest names).
struct ManifestDocument {
    std::string mediaType;
    std::string body;
    Digest digest;
};

// The media type of a manifest response: the Content-Type the registry
// sent, else the document's own mediaType, else its shape (OCI allows a
// manifest without mediaType). `body` is hostile.
std::string manifestMediaType(std::string contentType, std::string_view body);

// The bearer token in a token server's JSON answer ("token", else
// "access_token").
Result<std::string> parseTokenResponse(std::string_view body);

// A client for one repository of an OCI Distribution API v2 registry:
// scheme choice (https, then http only when allowed), the 401 challenge
// (Bearer token or Basic), manifests and small blobs.
class RegistryClient
{
public:
    RegistryClient(HttpClient& http, DockerReference reference,
                   std::optional<Credential> credential);

    const DockerReference& reference() const { return reference_; }

    // GET /v2/: checks that the registry answers and, with credentials, that
    // they are accepted (berth login).
    Result<void> ping();

    // A manifest or index by tag or digest; its digest is computed from the
    // bytes and, when `reference` is a digest, must equal it.
    Result<ManifestDocument> getManifest(const std::string& reference);

    // A small blob (a config), checked against its digest and size.
    Result<std::string> getBlob(const Digest& digest, int64_t size, size_t maxBytes);

    std::string blobUrl(const Digest& digest) const;

    // The Authorization header for blob requests made elsewhere (parallel
    // downloads), or nullopt when anonymous access works. `refresh` fetches
    // a new token after a 401 (tokens expire during long pulls).
    Result<std::optional<std::string>> authorization(bool refresh);

    // One line for an HTTP error status: registry, reference, status, the
    // registry's error code and what the user can do about it.
    Error httpError(long status, const std::string& body, const std::string& what) const;

private:
    // Sends a request to the registry (path below the base URL, or a full
    // URL), answering one 401 challenge.
    Result<HttpResponse> request(HttpRequest request, const std::string& path);
    Result<void> chooseScheme();
    Result<void> authenticate(const HttpResponse& unauthorized);
    Result<void> fetchToken(const AuthChallenge& challenge);

    HttpClient& http_;
    DockerReference reference_;
    std::optional<Credential> credential_;
    std::string baseUrl_; // "https://host:port", chosen on first use
    std::optional<std::string> authHeader_;
    std::optional<AuthChallenge> challenge_;
    std::set<std::string> credentialsSentTo_; // token servers told once (--debug)
    std::set<std::string> warnedRealms_;      // realms refused the credentials
};

} // namespace berth
