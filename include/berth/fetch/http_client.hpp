#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/retry_policy.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// libcurl's handle type, kept out of every header that includes this one.
typedef void CURL;
struct curl_slist;

namespace berth
{

struct HttpOptions {
    bool verifyTls = true;  // --insecure-options=tls turns it off
    bool allowHttp = false; // --insecure-options=http allows plain http://
    long connectTimeoutSeconds = 30;
    // A transfer slower than lowSpeedBytes per second for lowSpeedSeconds is
    // abandoned (and retried): a stalled server must not hang a fetch.
    long lowSpeedBytes = 1;
    long lowSpeedSeconds = 30;
    // Every request also has a deadline (RequestDeadline): this many
    // seconds, and as many again per MiB it is expected to bring. Above the
    // stall limit: a server trickling a byte a second must not keep a fetch
    // alive for days.
    long deadlineSeconds = 30;
    long maxRedirects = 8;
    RetryPolicy retry;
    // Per-host CA directories, searched as certs.d/HOST[:PORT]/*.crt. Empty:
    // /etc/containers/certs.d and ~/.config/containers/certs.d.
    std::vector<std::string> certsDirectories;
};

struct HttpRequest {
    std::string method = "GET"; // GET or HEAD
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    // Bounded so that a hostile server cannot make us buffer without limit;
    // exceeding it is an error.
    size_t maxResponseBytes = 4 << 20;
    std::optional<std::pair<std::string, std::string>> basicAuth; // user, password
    // The size of the answer when known (a blob's declared size), for the
    // deadline; else it goes by Content-Length, at most maxResponseBytes.
    int64_t expectedBytes = -1;
};

// How long one request may take in all: twice HttpOptions::deadlineSeconds,
// and as many again for each MiB of the answer (the declared size, else its
// Content-Length, else what has arrived), counted up to maxBytes. So a
// transfer must average a MiB per deadlineSeconds.
struct RequestDeadline {
    std::chrono::steady_clock::time_point start;
    long seconds = 30;
    int64_t expectedBytes = -1; // -1: unknown
    int64_t maxBytes = -1;      // -1: no bound
    bool passed = false;        // set when the transfer was stopped for it

    // The limit for an answer of `bytes`.
    std::chrono::milliseconds limitFor(int64_t bytes) const;
    // Is the limit passed, given what the transfer knows now?
    bool check(int64_t contentLength, int64_t received);
};

// The one line for a request stopped by its deadline, naming it.
Error deadlineError(const std::string& method, const std::string& url,
                    const RequestDeadline& deadline, int64_t received);

struct HttpResponse {
    long status = 0;
    std::string effectiveUrl;                                 // after redirects
    std::vector<std::pair<std::string, std::string>> headers; // names lowercased; last response
    std::string body;

    std::string header(const std::string& lowercaseName) const;
    std::vector<std::string> headerValues(const std::string& lowercaseName) const;
};

// "https://host:5000/v2/" → "host:5000", the certs.d directory name.
std::string hostPortOf(const std::string& url);

// The one place that turns a libcurl failure into what a user can act on:
// a certificate that does not verify names the certs.d directory to use.
Error transportError(int curlCode, const std::string& url, const std::string& detail);

// A small synchronous HTTP client on libcurl easy handles, plus the set-up
// shared with the parallel blob downloads (configure()).
class HttpClient
{
public:
    explicit HttpClient(HttpOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    const HttpOptions& options() const { return options_; }

    // Sends a request, retrying on dropped connections and 5xx answers as
    // the retry policy allows. An HTTP error status is a response, not an
    // Error; only transport failures (and oversized bodies) are Errors.
    Result<HttpResponse> send(const HttpRequest& request);

    // Applies TLS (with certs.d CAs for the URL's host), protocol, timeout and
    // redirect settings to an easy handle about to fetch `url`, and watches
    // `deadline` (started now) during the transfer.
    Result<void> configure(CURL* easy, const std::string& url, RequestDeadline* deadline);

    // The certs.d directories that apply to `hostPort`, for messages.
    std::vector<std::string> certsDirectoriesFor(const std::string& hostPort) const;

private:
    Result<HttpResponse> sendOnce(const HttpRequest& request, int* curlCode);
    // The PEM bundle (system CAs + certs.d/HOST/*.crt) for a host, or
    // nullopt when no certs.d entry exists and curl's default applies.
    const std::optional<std::string>& caBundleFor(const std::string& hostPort);

    HttpOptions options_;
    std::map<std::string, std::optional<std::string>> caBundles_;
    std::map<std::string, std::pair<std::string, std::string>> clientCerts_;
    CURL* easy_ = nullptr; // reused across requests: keeps connections alive
    struct curl_slist* connectTo_ = nullptr;
};

} // namespace berth
