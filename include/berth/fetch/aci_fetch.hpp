#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/discovery.hpp>
#include <berth/fetch/fetch_options.hpp>
#include <berth/fetch/http_client.hpp>
#include <berth/fetch/progress.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/store.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth
{

struct AciFetchRequest {
    std::string url;          // https://…/NAME.aci
    std::string signatureUrl; // empty: url + ".asc"
    // From discovery: the manifest's name and these labels must match.
    std::optional<AppName> expected;
    std::vector<std::string> pubkeys; // discovered key URLs, kept for trust
};

// Fetches an ACI (and its detached signature, when the server has one)
// over HTTPS into the store's staging area, then imports it. The remote
// cache decides whether to go to the network (options.pull, max-age,
// ETag / Last-Modified with a 304 reusing the stored image).
Result<ImageRecord> fetchAci(Store& store, HttpClient& http, const AciFetchRequest& request,
                             const FetchOptions& options, Progress& progress);

// The key under which a fetched ACI's signature blob is recorded, for the
// trust work: "signature:IMAGE-ID" → "sha256:…" of the .aci.asc bytes.
std::string signatureCacheKey(const std::string& imageId);

} // namespace berth
