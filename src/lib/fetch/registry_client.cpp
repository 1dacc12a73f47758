#include <berth/base/base64.hpp>
#include <berth/base/json.hpp>
#include <berth/base/log.hpp>
#include <berth/fetch/registry_client.hpp>
#include <berth/image/oci_media_types.hpp>
#include <cctype>
#include <curl/curl.h>

namespace berth
{

namespace
{

constexpr size_t kMaxManifestBytes = 4 << 20;
constexpr size_t kMaxTokenBytes = 1 << 20;

std::string urlEscape(const std::string& text)
{
    std::string out;
    char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
    if (escaped) {
        out = escaped;
        curl_free(escaped);
    }
    return out;
}

std::string lower(std::string text)
{
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// "host:port" or "[v6]:port" → the host alone.
std::string hostOf(const std::string& hostPort)
{
    if (hostPort.starts_with('[')) return hostPort.substr(0, hostPort.find(']') + 1);
    return hostPort.substr(0, hostPort.find(':'));
}

std::string acceptHeader()
{
    return "Accept: " + std::string(oci_media::Manifest) + ", " + std::string(oci_media::Index) +
           ", " + std::string(oci_media::DockerManifest) + ", " +
           std::string(oci_media::DockerManifestList);
}

} // namespace

std::string manifestMediaType(std::string type, std::string_view body)
{
    if (auto semi = type.find(';'); semi != std::string::npos) type.resize(semi);
    while (!type.empty() && type.back() == ' ')
        type.pop_back();
    if (isIndexMediaType(type) || isManifestMediaType(type)) return type;
    auto json = parseJson(body, "manifest");
    if (json && json->is_object()) {
        if (json->contains("mediaType") && (*json)["mediaType"].is_string())
            return (*json)["mediaType"].get<std::string>();
        if (json->contains("manifests")) return std::string(oci_media::Index);
        if (json->contains("layers")) return std::string(oci_media::Manifest);
    }
    return type;
}

Result<std::string> parseTokenResponse(std::string_view body)
{
    BERTH_TRY(Json json, parseJson(body, "token response"));
    std::string token;
    if (json.is_object()) {
        for (const char* key : {"token", "access_token"})
            if (json.contains(key) && json[key].is_string() && token.empty())
                token = json[key].get<std::string>();
    }
    if (token.empty()) return Error("the token server's answer holds no token");
    return token;
}

RegistryClient::RegistryClient(HttpClient& http, DockerReference reference,
                               std::optional<Credential> credential)
    : http_(http), reference_(std::move(reference)), credential_(std::move(credential))
{
}

std::string RegistryClient::blobUrl(const Digest& digest) const
{
    return baseUrl_ + "/v2/" + reference_.repository + "/blobs/" + digest.str();
}

Result<void> RegistryClient::chooseScheme()
{
    if (!baseUrl_.empty()) return ok();
    std::string https = "https://" + reference_.registry;
    if (!http_.options().allowHttp) {
        baseUrl_ = https;
        return ok();
    }
    // Plain HTTP is allowed: prefer TLS when the registry speaks it, as
    // Podman does, and fall back when it does not.
    HttpRequest probe;
    probe.url = https + "/v2/";
    probe.maxResponseBytes = 64 << 10;
    HttpClient& http = http_;
    auto response = http.send(probe);
    if (response) {
        baseUrl_ = https;
        return ok();
    }
    logDebug("{}: {}; trying plain HTTP", reference_.registry, response.error().message());
    baseUrl_ = "http://" + reference_.registry;
    return ok();
}

Result<HttpResponse> RegistryClient::request(HttpRequest request, const std::string& path)
{
    BERTH_CHECK(chooseScheme());
    request.url = baseUrl_ + path;
    std::vector<std::string> base = request.headers;
    for (int round = 0;; ++round) {
        request.headers = base;
        if (authHeader_) request.headers.push_back(*authHeader_);
        BERTH_TRY(HttpResponse response,
                  http_.send(request).context("registry " + reference_.registry + ": " +
                                              reference_.str()));
        if (response.status != 401 || round == 1) return response;
        // A token from before may have expired: answer the challenge again.
        BERTH_CHECK(authenticate(response));
    }
}

Result<void> RegistryClient::authenticate(const HttpResponse& unauthorized)
{
    std::vector<AuthChallenge> challenges;
    for (const auto& value : unauthorized.headerValues("www-authenticate")) {
        auto parsed = parseWwwAuthenticate(value);
        challenges.insert(challenges.end(), parsed.begin(), parsed.end());
    }
    for (const auto& c : challenges)
        if (c.scheme == "bearer") {
            challenge_ = c;
            return fetchToken(c);
        }
    for (const auto& c : challenges)
        if (c.scheme == "basic") {
            if (!credential_) return httpError(401, unauthorized.body, reference_.str());
            authHeader_ = "Authorization: Basic " +
                          encodeBase64(credential_->username + ":" + credential_->password);
            return ok();
        }
    return Error("registry " + reference_.registry + ": " + reference_.str() +
                 ": HTTP 401 with no authentication scheme berth knows (Bearer, Basic)");
}

Result<void> RegistryClient::fetchToken(const AuthChallenge& challenge)
{
    std::string realm = challenge.param("realm");
    if (realm.empty())
        return Error("registry " + reference_.registry + ": Bearer challenge names no token realm");
    if (!realm.starts_with("https://") &&
        !(realm.starts_with("http://") && http_.options().allowHttp))
        return Error("registry " + reference_.registry + ": token realm '" + realm +
                     "' is not https (pass --insecure-options=http to allow it)");
    // The scope the challenge names, else pull access to our repository.
    std::string scope = challenge.param("scope");
    if (scope.empty() && !reference_.repository.empty())
        scope = "repository:" + reference_.repository + ":pull";
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    std::string service = challenge.param("service");
    if (!service.empty()) url += "service=" + urlEscape(service) + "&";
    if (!scope.empty()) url += "scope=" + urlEscape(scope);
    HttpRequest request;
    request.url = url;
    request.maxResponseBytes = kMaxTokenBytes;
    std::string what = "registry " + reference_.registry + ": " + reference_.str();
    if (credential_) {
        // The registry's password goes to its own host, or to another host
        // over TLS; never from a TLS registry to plain HTTP, where anyone on
        // the path would read it. Refused, the realm is asked for an
        // anonymous token, which a public image needs no more than.
        std::string realmHost = hostOf(hostPortOf(realm));
        bool realmTls = realm.starts_with("https://");
        bool registryTls = baseUrl_.starts_with("https://");
        const char* refused = registryTls && !realmTls ? "over plain HTTP from a TLS registry"
                              : !realmTls && realmHost != hostOf(lower(reference_.registry))
                                  ? "over plain HTTP to another host"
                                  : nullptr;
        if (refused) {
            if (warnedRealms_.insert(realm).second)
                logWarning("{}: not sending the credentials for {} to the token server {} {}; "
                           "asking it for an anonymous token",
                           what, reference_.registry, hostPortOf(realm), refused);
        } else {
            if (credentialsSentTo_.insert(hostPortOf(realm)).second)
                logDebug("{}: sending the credentials for {} (from {}) to the token server {}",
                         what, reference_.registry, credential_->source, hostPortOf(realm));
            request.basicAuth = std::make_pair(credential_->username, credential_->password);
        }
    }
    BERTH_TRY(HttpResponse response, http_.send(request).context(what + ": token"));
    if (response.status == 401 || response.status == 403)
        return httpError(401, response.body, reference_.str());
    if (response.status != 200)
        return Error(what + ": the token server " + hostPortOf(realm) + " answered HTTP " +
                     std::to_string(response.status));
    BERTH_TRY(std::string token, parseTokenResponse(response.body).context(what));
    authHeader_ = "Authorization: Bearer " + token;
    return ok();
}

// Called inside the fetch stage for a refresh: it must stay HTTP only, with
// the credential_ resolved at construction (no file, no credential helper;
// the stage may read neither and execute nothing).
Result<std::optional<std::string>> RegistryClient::authorization(bool refresh)
{
    if (refresh && challenge_) BERTH_CHECK(fetchToken(*challenge_));
    return authHeader_;
}

Error RegistryClient::httpError(long status, const std::string& body, const std::string& what) const
{
    std::string code, message;
    auto json = parseJson(body, "error");
    if (json && json->is_object() && json->contains("errors") && (*json)["errors"].is_array() &&
        !(*json)["errors"].empty() && (*json)["errors"][0].is_object()) {
        const Json& e = (*json)["errors"][0];
        if (e.contains("code") && e["code"].is_string()) code = e["code"].get<std::string>();
        if (e.contains("message") && e["message"].is_string())
            message = e["message"].get<std::string>();
    }
    std::string line =
        "registry " + reference_.registry + ": " + what + ": HTTP " + std::to_string(status);
    if (!code.empty()) line += " " + code;
    if (!message.empty() && message != code) line += " (" + message + ")";
    std::string hint;
    if (status == 401)
        hint =
            credential_
                ? "the credentials from " + credential_->source +
                      " were refused; run 'berth login " + reference_.registry + "' again"
                : "this registry needs credentials; run 'berth login " + reference_.registry + "'";
    else if (status == 403)
        hint = "the account has no pull access to " + reference_.repository;
    else if (code == "MANIFEST_UNKNOWN" ||
             (status == 404 && what.find('@') == std::string::npos && code.empty()))
        hint = "no such tag or digest in " + reference_.repository + "; check the reference";
    else if (code == "NAME_UNKNOWN")
        hint = "no repository '" + reference_.repository + "' on this registry; check the name";
    else if (code == "BLOB_UNKNOWN" || status == 404)
        hint = "the registry does not have it; check the reference";
    else if (status == 415 || code == "MANIFEST_INVALID")
        hint = "the registry cannot serve this in a format berth reads";
    else if (status >= 500)
        hint = "the registry failed; try again later";
    if (!hint.empty()) line += ": " + hint;
    return Error(line);
}

Result<void> RegistryClient::ping()
{
    HttpRequest r;
    r.maxResponseBytes = 64 << 10;
    BERTH_TRY(HttpResponse response, request(r, "/v2/"));
    if (response.status != 200) return httpError(response.status, response.body, "/v2/");
    return ok();
}

Result<ManifestDocument> RegistryClient::getManifest(const std::string& ref)
{
    HttpRequest r;
    r.headers.push_back(acceptHeader());
    r.maxResponseBytes = kMaxManifestBytes;
    std::string what =
        reference_.name() +
        (ref.find(':') != std::string::npos && ref.starts_with("sha") ? "@" + ref : ":" + ref);
    BERTH_TRY(HttpResponse response,
              request(r, "/v2/" + reference_.repository + "/manifests/" + ref));
    if (response.status != 200) return httpError(response.status, response.body, what);
    std::string mediaType = manifestMediaType(response.header("content-type"), response.body);
    if (!isIndexMediaType(mediaType) && !isManifestMediaType(mediaType))
        return Error("registry " + reference_.registry + ": " + what + ": HTTP " +
                     std::to_string(response.status) + " with unsupported manifest media type '" +
                     mediaType +
                     "'; berth reads OCI and Docker schema2 manifests and indexes: push the "
                     "image in one of those formats");
    auto requested = Digest::parse(ref);
    DigestAlgorithm algorithm = requested ? requested->algorithm() : DigestAlgorithm::Sha256;
    Digest digest = Hasher::hash(algorithm, response.body);
    ManifestDocument doc{std::move(mediaType), std::move(response.body), std::move(digest)};
    if (requested && !(doc.digest == *requested))
        return Error("registry " + reference_.registry + ": " + what +
                     ": manifest digest mismatch: the registry served " + doc.digest.str() +
                     "; refusing it (the registry or something between us is altering content)");
    // A tag's digest, as the registry states it, must be what we received.
    std::string stated = response.header("docker-content-digest");
    if (!requested && !stated.empty()) {
        auto statedDigest = Digest::parse(stated);
        if (statedDigest && statedDigest->algorithm() == algorithm &&
            !(*statedDigest == doc.digest))
            return Error("registry " + reference_.registry + ": " + what +
                         ": manifest digest mismatch: the registry states " + stated +
                         " but served " + doc.digest.str());
    }
    return doc;
}

Result<std::string> RegistryClient::getBlob(const Digest& digest, int64_t size, size_t maxBytes)
{
    std::string what = reference_.name() + "@" + digest.str();
    if (size > static_cast<int64_t>(maxBytes))
        return Error("registry " + reference_.registry + ": " + what + " is too large (" +
                     std::to_string(size) + " bytes)");
    HttpRequest r;
    r.maxResponseBytes = maxBytes;
    r.expectedBytes = size;
    BERTH_TRY(HttpResponse response,
              request(r, "/v2/" + reference_.repository + "/blobs/" + digest.str()));
    if (response.status != 200) return httpError(response.status, response.body, what);
    Digest actual = Hasher::hash(digest.algorithm(), response.body);
    if (!(actual == digest))
        return Error("registry " + reference_.registry + ": " + what + ": digest mismatch: got " +
                     actual.str() + "; refusing it");
    if (size >= 0 && static_cast<int64_t>(response.body.size()) != size)
        return Error("registry " + reference_.registry + ": " + what + ": size mismatch");
    return std::move(response.body);
}

} // namespace berth
