#include <berth/base/log.hpp>
#include <berth/fetch/aci_fetch.hpp>
#include <berth/fetch/discovery.hpp>
#include <berth/fetch/docker_fetch.hpp>
#include <berth/fetch/docker_reference.hpp>
#include <berth/fetch/fetcher.hpp>
#include <berth/fetch/http_client.hpp>

namespace berth
{

namespace
{

HttpOptions httpOptionsFor(const FetchOptions& options)
{
    HttpOptions http;
    http.verifyTls = !options.insecureTls;
    http.allowHttp = options.allowHttp;
    http.connectTimeoutSeconds = options.connectTimeoutSeconds;
    http.lowSpeedSeconds = options.lowSpeedSeconds;
    http.deadlineSeconds = options.lowSpeedSeconds;
    http.retry.maxAttempts = options.maxAttempts;
    return http;
}

Result<ImageRecord> fetchFromDiscovery(Store& store, HttpClient& http, const AppName& app,
                                       const DiscoveredImage& found, const FetchOptions& options,
                                       Progress& progress);

Result<ImageRecord> fetchDiscovered(Store& store, HttpClient& http, const ImageReference& reference,
                                    const FetchOptions& options, Progress& progress)
{
    // A bare name the store has is used as it is unless asked to update.
    if (options.pull != PullPolicy::Update) {
        auto stored = store.index().resolve(reference.original);
        if (stored) return stored;
        if (options.pull == PullPolicy::Never)
            return std::move(stored).error().addContext("--pull=never");
    }
    BERTH_TRY(AppName app, parseAppName(reference.original));
    auto found = discoverImage(http, app);
    if (!found) {
        // Asked to update a name the store has: the stored image still does.
        auto stored = store.index().resolve(reference.original);
        if (stored) {
            logWarning("{}; using the stored image", found.error().message());
            return stored;
        }
        return std::move(found).error();
    }
    return fetchFromDiscovery(store, http, app, *found, options, progress);
}

Result<ImageRecord> fetchFromDiscovery(Store& store, HttpClient& http, const AppName& app,
                                       const DiscoveredImage& found, const FetchOptions& options,
                                       Progress& progress)
{
    Error last("unreachable");
    for (size_t i = 0; i < found.imageUrls.size(); ++i) {
        AciFetchRequest request{found.imageUrls[i], found.signatureUrls[i], app, found.pubkeys};
        auto record = fetchAci(store, http, request, options, progress);
        if (record) return record;
        last = std::move(record).error().addContext("appc image '" + app.str() +
                                                    "' (discovered at " + found.pageUrl + ")");
        logDebug("discovered URL {} failed: {}", found.imageUrls[i], last.message());
    }
    return last;
}

} // namespace

bool isRemoteReference(const ImageReference& reference)
{
    using T = ImageReference::Transport;
    return reference.transport == T::Docker || reference.transport == T::Https ||
           (reference.transport == T::Stored && isDiscoverableName(reference.original));
}

Result<ImageRecord> fetchRemoteImage(Store& store, const ImageReference& reference,
                                     const FetchOptions& options)
{
    using T = ImageReference::Transport;
    // Without --insecure-options=image, ACIs (by URL or discovery) are
    // checked against their .aci.asc, registry images against their
    // simple-signing signatures, each before anything is stored.
    HttpClient http(httpOptionsFor(options));
    Progress progress(options.progress);
    switch (reference.transport) {
    case T::Docker: {
        BERTH_TRY(DockerReference ref, parseDockerReference(reference.original));
        return fetchDockerImage(store, http, ref, options, progress);
    }
    case T::Https: {
        if (reference.path.starts_with("http://") && !options.allowHttp)
            return Error("refusing plain HTTP for '" + reference.original +
                         "'; pass --insecure-options=http to allow it");
        AciFetchRequest request;
        request.url = reference.path;
        return fetchAci(store, http, request, options, progress);
    }
    case T::Stored:
        if (!isDiscoverableName(reference.original))
            return store.index().resolve(reference.original);
        return fetchDiscovered(store, http, reference, options, progress);
    default:
        return Error("'" + reference.original + "' is a local image; import it instead");
    }
}

} // namespace berth
