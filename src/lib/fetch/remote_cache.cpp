#include <berth/base/json.hpp>
#include <berth/fetch/remote_cache.hpp>
#include <cctype>

namespace berth
{

std::string remoteCacheKey(const std::string& url)
{
    return "remote:" + url;
}

std::string RemoteCacheEntry::toJson() const
{
    Json j{{"imageId", imageId},
           {"etag", etag},
           {"lastModified", lastModified},
           {"maxAge", maxAge},
           {"fetchedAt", fetchedAt}};
    return j.dump();
}

Result<RemoteCacheEntry> RemoteCacheEntry::fromJson(std::string_view text)
{
    BERTH_TRY(Json j, parseJson(text, "remote cache entry"));
    if (!j.is_object()) return Error("remote cache entry is not an object");
    RemoteCacheEntry e;
    BERTH_TRY(e.imageId, jsonString(j, "imageId", "remote cache entry"));
    BERTH_TRY(e.etag, jsonOptionalString(j, "etag", "remote cache entry"));
    BERTH_TRY(e.lastModified, jsonOptionalString(j, "lastModified", "remote cache entry"));
    BERTH_TRY(e.maxAge, jsonInteger(j, "maxAge", "remote cache entry"));
    BERTH_TRY(e.fetchedAt, jsonInteger(j, "fetchedAt", "remote cache entry"));
    return e;
}

int64_t cacheControlMaxAge(std::string_view header)
{
    std::string h(header);
    for (char& c : h)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (h.find("no-cache") != std::string::npos || h.find("no-store") != std::string::npos)
        return 0;
    size_t pos = 0;
    while ((pos = h.find("max-age", pos)) != std::string::npos) {
        // Not s-maxage: that one is for shared caches.
        bool whole = pos == 0 || h[pos - 1] == ' ' || h[pos - 1] == ',';
        pos += 7;
        while (pos < h.size() && h[pos] == ' ')
            ++pos;
        if (!whole || pos >= h.size() || h[pos] != '=') continue;
        ++pos;
        while (pos < h.size() && (h[pos] == ' ' || h[pos] == '"'))
            ++pos;
        int64_t value = 0;
        bool any = false;
        while (pos < h.size() && std::isdigit(static_cast<unsigned char>(h[pos]))) {
            any = true;
            if (value < (int64_t(1) << 40)) value = value * 10 + (h[pos] - '0');
            ++pos;
        }
        return any ? value : 0;
    }
    return 0;
}

} // namespace berth
