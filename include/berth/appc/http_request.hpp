#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth
{

// One HTTP/1.x request as the metadata service sees it. Only what that
// service needs is supported: origin-form targets, Content-Length bodies (no
// chunked uploads), keep-alive.
// Not "HttpRequest": fetch's HTTP client has a berth::HttpRequest of its own,
// and two classes of one name in one program break the one-definition rule
// (the linker kept one implicit operator= for both, and the server crashed).
struct MetadataRequest {
    std::string method;   // "GET", case-sensitive as RFC 9110 says
    std::string target;   // as sent: "/token/acMetadata/v1/pod/uuid?x=1"
    std::string path;     // target before '?', not yet percent-decoded
    std::string query;    // after '?', empty when none
    int minorVersion = 1; // HTTP/1.<minorVersion>
    std::vector<std::pair<std::string, std::string>> headers; // names lowercased
    std::string body;
    bool keepAlive = true;

    // The first header of that (lowercase) name.
    std::optional<std::string_view> header(std::string_view lowercaseName) const;
};

// Bounds on what one request may hold. The peer is an app in the pod, so
// every size is limited before anything is allocated for it.
struct HttpLimits {
    size_t maxHeadBytes = 8192; // request line plus headers
    size_t maxHeaders = 64;
    size_t maxBodyBytes = 64 << 10; // sign/verify forms are small
};

// Incremental parser: feed() bytes as they arrive, take() each request once
// complete. Bytes after one request are kept for the next (pipelining).
class HttpRequestParser
{
public:
    enum class State { NeedMore, Complete, Failed };

    explicit HttpRequestParser(HttpLimits limits = {}) : limits_(limits) {}

    // Appends bytes and parses as far as possible.
    State feed(std::string_view bytes);
    // Parses what is buffered without new bytes (after take()).
    State poll();
    State state() const { return state_; }

    // After Complete: the request; the parser then looks at buffered bytes.
    MetadataRequest take();

    // After Failed: the status to answer with (400, 413, 431, 501, 505) and
    // a short reason for the body and the debug log.
    int errorStatus() const { return errorStatus_; }
    const std::string& errorReason() const { return errorReason_; }

    // Bytes buffered and not yet part of a returned request.
    size_t buffered() const { return buffer_.size(); }

private:
    State fail(int status, std::string reason);
    State parseHead(size_t headEnd, size_t bodyStart);

    HttpLimits limits_;
    std::string buffer_;
    State state_ = State::NeedMore;
    MetadataRequest current_;
    bool haveHead_ = false;
    size_t bodyStart_ = 0;
    size_t contentLength_ = 0;
    int errorStatus_ = 0;
    std::string errorReason_;
};

} // namespace berth
