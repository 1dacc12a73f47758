#pragma once

#include <berth/base/result.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth
{

// What the store remembers of a URL it fetched an image from (kept in the
// index's key/value cache under "remote:URL"): enough to skip the network
// while Cache-Control max-age holds, and to revalidate with ETag /
// Last-Modified afterwards (a 304 reuses the stored image).
struct RemoteCacheEntry {
    std::string imageId;
    std::string etag;
    std::string lastModified;
    int64_t maxAge = 0;    // seconds, from Cache-Control
    int64_t fetchedAt = 0; // unix seconds of the last download or revalidation

    bool isFresh(int64_t now) const { return maxAge > 0 && now < fetchedAt + maxAge; }
    std::string toJson() const;
    static Result<RemoteCacheEntry> fromJson(std::string_view text);
};

std::string remoteCacheKey(const std::string& url);

// max-age from a Cache-Control header; 0 for no-cache, no-store, or none.
int64_t cacheControlMaxAge(std::string_view header);

} // namespace berth
