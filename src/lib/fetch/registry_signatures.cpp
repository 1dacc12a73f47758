#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/fetch/registry_signatures.hpp>
#include <berth/trust/image_verification.hpp>
#include <berth/trust/lookaside.hpp>

namespace berth
{

namespace
{

// containers/image stops at the first missing signature-N; so do we, and a
// lookaside that never stops is cut off here.
constexpr int kMaxSignatures = 64;
constexpr size_t kMaxSignatureBytes = 1 << 20;

} // namespace

Result<SignatureSources> signatureSourcesFor(const DockerReference& ref,
                                             const FetchOptions& options)
{
    SignatureSources sources;
    BERTH_TRY(sources.trustName, trustNameForDockerReference(ref.str()));
    sources.signatureFile = options.signaturePath;
    std::string dir = defaultRegistriesDirectory();
    BERTH_TRY(LookasideConfig config, readRegistriesDirectory(dir));
    sources.lookaside = lookasideFor(config, sources.trustName);
    if (sources.lookaside)
        logDebug("signatures of {} from {}", sources.trustName, *sources.lookaside);
    return sources;
}

Result<std::vector<std::string>> fetchSignatures(HttpClient& http, const SignatureSources& sources,
                                                 const Digest& manifestDigest)
{
    std::vector<std::string> signatures;
    if (!sources.signatureFile.empty()) {
        BERTH_TRY(std::string signature,
                  readFile(sources.signatureFile, kMaxSignatureBytes).context("read signature"));
        signatures.push_back(std::move(signature));
    }
    if (!sources.lookaside) return signatures;
    const std::string& lookaside = *sources.lookaside;
    if (lookaside.starts_with("file://")) {
        BERTH_TRY(auto found, readFileLookaside(lookaside, sources.trustName, manifestDigest));
        for (auto& signature : found)
            signatures.push_back(std::move(signature));
        return signatures;
    }
    if (!lookaside.starts_with("https://") && !lookaside.starts_with("http://"))
        return Error("lookaside '" + lookaside + "' for " + sources.trustName +
                     " is not a file://, http:// or https:// URL; fix it in registries.d");
    // A plain-HTTP lookaside is usual (containers tools allow it): what it
    // serves is verified by its OpenPGP signature and the digest it names,
    // so --insecure-options=http is not needed for it.
    std::optional<HttpClient> plain;
    if (lookaside.starts_with("http://") && !http.options().allowHttp) {
        HttpOptions options = http.options();
        options.allowHttp = true;
        plain.emplace(options);
    }
    HttpClient& client = plain ? *plain : http;
    for (int index = 1; index <= kMaxSignatures; ++index) {
        HttpRequest request;
        request.url = lookasideSignatureUrl(lookaside, sources.trustName, manifestDigest, index);
        request.maxResponseBytes = kMaxSignatureBytes;
        BERTH_TRY(HttpResponse response,
                  client.send(request).context("fetch signature " + request.url));
        if (response.status == 404) break;
        if (response.status != 200)
            return Error("lookaside " + request.url + " answered HTTP " +
                         std::to_string(response.status) + "; check the lookaside server");
        signatures.push_back(std::move(response.body));
    }
    return signatures;
}

std::string unsignedRegistryImage(const SignatureSources& sources)
{
    return describeVerdict(TrustVerdict::reject(TrustVerdict::Status::Unsigned, "",
                                                "no lookaside is configured for it in "
                                                "registries.d and no --signature was given"),
                           sources.trustName);
}

} // namespace berth
