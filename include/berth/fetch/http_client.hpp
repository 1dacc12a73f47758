#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/retry_policy.hpp>
#include <cstddef>
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
};

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
    // redirect settings to an easy handle about to fetch `url`.
    Result<void> configure(CURL* easy, const std::string& url);

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
