#include <berth/fetch/http_client.hpp>
#include <berth/fetch/parallel_download.hpp>
#include <berth/fetch/progress.hpp>
#include <berth/fetch/remote_cache.hpp>
#include <berth/fetch/retry_policy.hpp>
#include <curl/curl.h>
#include <doctest/doctest.h>

using namespace berth;
using namespace std::chrono_literals;

TEST_CASE("backoff doubles from the first retry and is capped")
{
    RetryPolicy p;
    p.maxAttempts = 5;
    p.initialDelay = 400ms;
    p.maxDelay = 2000ms;
    CHECK(p.delayBefore(1) == 0ms);
    CHECK(p.delayBefore(2) == 400ms);
    CHECK(p.delayBefore(3) == 800ms);
    CHECK(p.delayBefore(4) == 1600ms);
    CHECK(p.delayBefore(5) == 2000ms);
    CHECK(p.delayBefore(50) == 2000ms);
    CHECK(p.mayRetry(4));
    CHECK_FALSE(p.mayRetry(5));
}

TEST_CASE("only transient failures are retried")
{
    CHECK(isRetryableStatus(503));
    CHECK(isRetryableStatus(502));
    CHECK(isRetryableStatus(429));
    CHECK_FALSE(isRetryableStatus(404));
    CHECK_FALSE(isRetryableStatus(401));
    CHECK_FALSE(isRetryableStatus(200));
    CHECK(isRetryableTransportError(CURLE_PARTIAL_FILE));
    CHECK(isRetryableTransportError(CURLE_COULDNT_CONNECT));
    CHECK(isRetryableTransportError(CURLE_RECV_ERROR));
    CHECK_FALSE(isRetryableTransportError(CURLE_PEER_FAILED_VERIFICATION));
    CHECK_FALSE(isRetryableTransportError(CURLE_COULDNT_RESOLVE_HOST));
}

TEST_CASE("a resumed answer must start where we asked")
{
    CHECK(contentRangeStart("bytes 100-199/200").value() == 100);
    CHECK(contentRangeStart(" bytes 0-0/*").value() == 0);
    CHECK_FALSE(contentRangeStart("bytes */200"));
    CHECK_FALSE(contentRangeStart("items 1-2/3"));
    CHECK_FALSE(contentRangeStart("bytes 99999999999999999999-1/2"));
}

TEST_CASE("failures name what to do")
{
    auto tls = transportError(CURLE_PEER_FAILED_VERIFICATION, "https://127.0.0.1:5000/v2/", "x");
    CHECK(tls.message().find("certs.d/127.0.0.1:5000/ca.crt") != std::string::npos);
    CHECK(tls.message().find("--insecure-options=tls") != std::string::npos);
    auto refused = transportError(CURLE_COULDNT_CONNECT, "https://h:1/", "");
    CHECK(refused.message().find("cannot connect to h:1") != std::string::npos);
    // libcurl's own words tell a refused http: from a redirect to file: and
    // from an answer that is not HTTP; only the first needs the option.
    auto http = transportError(CURLE_UNSUPPORTED_PROTOCOL, "http://h/",
                               "Protocol \"http\" not supported or disabled in libcurl");
    CHECK(http.message().find("--insecure-options=http") != std::string::npos);
    auto file = transportError(CURLE_UNSUPPORTED_PROTOCOL, "https://h/v2/",
                               "Protocol \"file\" not supported or disabled in libcurl");
    CHECK(file.message().find("'file:' URL") != std::string::npos);
    CHECK(file.message().find("--insecure-options") == std::string::npos);
    auto garbage = transportError(CURLE_UNSUPPORTED_PROTOCOL, "http://h/v2/",
                                  "Received HTTP/0.9 when not allowed");
    CHECK(garbage.message().find("no HTTP status line") != std::string::npos);
    CHECK(garbage.message().find("--insecure-options") == std::string::npos);
    CHECK(hostPortOf("https://user@Reg.Example:5000/v2/x?y") == "reg.example:5000");
}

TEST_CASE("Cache-Control max-age and the remote cache entry")
{
    CHECK(cacheControlMaxAge("max-age=3600") == 3600);
    CHECK(cacheControlMaxAge("public, max-age=60, must-revalidate") == 60);
    CHECK(cacheControlMaxAge("s-maxage=100") == 0);
    CHECK(cacheControlMaxAge("no-cache, max-age=60") == 0);
    CHECK(cacheControlMaxAge("no-store") == 0);
    CHECK(cacheControlMaxAge("") == 0);

    RemoteCacheEntry e{"sha512-abc", "\"etag\"", "Mon, 01 Jan 2024 00:00:00 GMT", 60, 1000};
    CHECK(e.isFresh(1059));
    CHECK_FALSE(e.isFresh(1060));
    auto back = RemoteCacheEntry::fromJson(e.toJson());
    REQUIRE(back);
    CHECK(back->imageId == e.imageId);
    CHECK(back->etag == e.etag);
    CHECK(back->maxAge == 60);
    CHECK_FALSE(RemoteCacheEntry::fromJson("{}"));
}

TEST_CASE("progress bars stay within a line and show rate and ETA")
{
    std::string line =
        Progress::barLine("sha256:0123456789ab", 512 << 10, 1 << 20, 256 << 10, false, "");
    CHECK(line.size() < 100);
    CHECK(line.find("512.0 KiB / 1.0 MiB") != std::string::npos);
    CHECK(line.find("ETA 2s") != std::string::npos);
    std::string done = Progress::barLine("x", 10, 10, 0, true, "already in the store");
    CHECK(done.find("already in the store") != std::string::npos);
    CHECK(Progress::humanBytes(0) == "0 B");
    CHECK(Progress::humanBytes(1536) == "1.5 KiB");
}
