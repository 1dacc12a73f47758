#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/http_client.hpp>
#include <berth/fetch/progress.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

enum class DownloadStart {
    Go,   // fetch it now
    Wait, // another process is fetching it: ask again a little later
    Skip, // nothing to fetch (already in the store)
};

// One thing to download. Bytes arrive in order exactly once, also across a
// dropped connection resumed with Range, so a streaming hash stays valid.
class Download
{
public:
    virtual ~Download() = default;
    virtual std::string label() const = 0; // for progress lines
    virtual std::string url() const = 0;
    virtual int64_t expectedSize() const { return -1; }
    // Called before the transfer (and again after Wait).
    virtual Result<DownloadStart> begin() = 0;
    virtual Result<void> write(std::string_view bytes) = 0;
    // Every byte has arrived: verify and publish.
    virtual Result<void> finish() = 0;
    // After begin() said Go: bytes already on disk (left by an earlier
    // process); the transfer asks for the rest with Range.
    virtual int64_t resumeFrom() const { return 0; }
    // finish() failed on bytes that came partly from an earlier process:
    // true when they were dropped and the download may start again at 0.
    virtual bool discardResumed() { return false; }

    // For the fetch stage (fetch_stage.cpp): an fd to which the stage
    // appends the transfer's bytes, from resumeFrom() on, instead of a
    // staging file of its own (-1: none). A berth killed in the middle
    // then leaves them where the next fetch resumes. adoptAppended() takes
    // those bytes, read back by stage0, as write() would, without writing
    // them again.
    virtual int stageAppendFd() const { return -1; }
    virtual Result<void> adoptAppended(std::string_view /*bytes*/)
    {
        return Error(label() + ": has no file for the fetch stage to append to");
    }

    // Extra request headers (If-None-Match for a revalidation).
    virtual std::vector<std::string> requestHeaders() const { return {}; }
    // Each response header, name lowercased; ":status" starts a response
    // (a redirect chain has several).
    virtual void responseHeader(const std::string&, const std::string&) {}
    // A 304 answer: true when the download asked for it and is done.
    virtual bool notModified() { return false; }
};

struct DownloadHooks {
    // The Authorization header to send (nullopt: none); `refresh` after a
    // 401, when a token has expired.
    std::function<Result<std::optional<std::string>>(bool refresh)> authorization;
    // Turns an HTTP error status into the one line the user sees.
    std::function<Error(long status, const std::string& body, const std::string& label)> httpError;
};

// Runs the downloads on one libcurl multi handle, at most `parallel` at a
// time, in order. Transfers that drop or get a 5xx are resumed with Range
// after a backoff, within the client's retry policy. The first failure
// stops everything and is returned; downloads not finished are dropped
// (their staging files go with them).
Result<void> runDownloads(HttpClient& http, const std::vector<Download*>& downloads,
                          const DownloadHooks& hooks, Progress& progress, int parallel);

// "bytes START-END/TOTAL" → START, or nullopt.
std::optional<int64_t> contentRangeStart(std::string_view header);

} // namespace berth
