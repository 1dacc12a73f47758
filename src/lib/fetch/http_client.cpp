#include "config.h"

#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/fetch/http_client.hpp>
#include <cctype>
#include <cstdlib>
#include <curl/curl.h>
#include <dirent.h>
#include <mutex>
#include <thread>

namespace berth
{

namespace
{

void globalInit()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s)
{
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return std::string(s);
}

std::vector<std::string> defaultCertsDirectories()
{
    std::vector<std::string> dirs{"/etc/containers/certs.d"};
    const char* config = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (config && *config)
        dirs.push_back(std::string(config) + "/containers/certs.d");
    else if (home && *home)
        dirs.push_back(std::string(home) + "/.config/containers/certs.d");
    return dirs;
}

std::vector<std::string> listFiles(const std::string& dir)
{
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return names;
    while (struct dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') names.push_back(e->d_name);
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

struct Collector {
    HttpResponse* response;
    size_t maxBytes;
    bool tooLarge = false;
};

size_t collectBody(char* data, size_t size, size_t count, void* user)
{
    auto* c = static_cast<Collector*>(user);
    size_t n = size * count;
    if (c->response->body.size() + n > c->maxBytes) {
        c->tooLarge = true;
        return 0; // aborts the transfer with CURLE_WRITE_ERROR
    }
    c->response->body.append(data, n);
    return n;
}

size_t collectHeader(char* data, size_t size, size_t count, void* user)
{
    auto* response = static_cast<HttpResponse*>(user);
    size_t n = size * count;
    std::string_view line(data, n);
    // Each response of a redirect chain starts with a status line; keep only
    // the headers of the last one.
    if (line.starts_with("HTTP/")) {
        response->headers.clear();
        return n;
    }
    auto colon = line.find(':');
    if (colon != std::string_view::npos)
        response->headers.emplace_back(lower(std::string(line.substr(0, colon))),
                                       trim(line.substr(colon + 1)));
    return n;
}

int onTransferInfo(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t)
{
    auto* deadline = static_cast<RequestDeadline*>(user);
    return deadline->check(static_cast<int64_t>(total), static_cast<int64_t>(now)) ? 1 : 0;
}

} // namespace

std::chrono::milliseconds RequestDeadline::limitFor(int64_t bytes) const
{
    constexpr int64_t mib = 1 << 20;
    int64_t perMiB = std::max<int64_t>(seconds, 1) * 1000;
    int64_t mibs = (std::max<int64_t>(bytes, 0) + mib - 1) / mib;
    // Twice the stall limit at least: a server that sends nothing is the
    // stall limit's to report (and retry), as "no HTTP answer".
    return std::chrono::milliseconds(perMiB * (2 + mibs));
}

bool RequestDeadline::check(int64_t contentLength, int64_t received)
{
    int64_t bytes = std::max({expectedBytes, contentLength, received});
    if (maxBytes >= 0) bytes = std::min(bytes, maxBytes);
    if (std::chrono::steady_clock::now() - start <= limitFor(bytes)) return false;
    passed = true;
    return true;
}

Error deadlineError(const std::string& method, const std::string& url,
                    const RequestDeadline& deadline, int64_t received)
{
    auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                 deadline.start);
    return Error(method + " " + url + " timed out: " + std::to_string(received) + " bytes in " +
                 std::to_string(took.count()) + " s, slower than a MiB per " +
                 std::to_string(deadline.seconds) +
                 " s; the server is too slow or is holding the transfer open, try again later "
                 "or give it longer with --timeout=SECONDS");
}

std::string HttpResponse::header(const std::string& name) const
{
    for (const auto& [key, value] : headers)
        if (key == name) return value;
    return {};
}

std::vector<std::string> HttpResponse::headerValues(const std::string& name) const
{
    std::vector<std::string> values;
    for (const auto& [key, value] : headers)
        if (key == name) values.push_back(value);
    return values;
}

std::string hostPortOf(const std::string& url)
{
    std::string rest = url;
    if (auto scheme = rest.find("://"); scheme != std::string::npos) rest = rest.substr(scheme + 3);
    if (auto end = rest.find_first_of("/?#"); end != std::string::npos) rest.resize(end);
    if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
    return lower(rest);
}

Error transportError(int code, const std::string& url, const std::string& detail)
{
    std::string host = hostPortOf(url);
    std::string why = detail.empty() ? curl_easy_strerror(static_cast<CURLcode>(code)) : detail;
    switch (static_cast<CURLcode>(code)) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return Error("the TLS certificate of " + host + " does not verify (" + why +
                     "); put the CA certificate that signed it in "
                     "/etc/containers/certs.d/" +
                     host + "/ca.crt or ~/.config/containers/certs.d/" + host +
                     "/ca.crt, or pass --insecure-options=tls");
    case CURLE_SSL_CONNECT_ERROR:
        return Error("TLS handshake with " + host + " failed (" + why +
                     "); if it serves plain HTTP, pass --insecure-options=http");
    case CURLE_COULDNT_RESOLVE_HOST:
        return Error("cannot resolve host '" + host + "' (" + why +
                     "); check the name and the DNS configuration");
    case CURLE_COULDNT_CONNECT:
        return Error("cannot connect to " + host + " (" + why +
                     "); check that the server is running and reachable");
    case CURLE_OPERATION_TIMEDOUT:
        // No HTTP status to name: the server never finished an answer.
        return Error("timed out talking to " + host + " for '" + url + "', no HTTP answer (" + why +
                     "); check that the server is healthy, or give it longer with "
                     "berth fetch --timeout=SECONDS");
    case CURLE_UNSUPPORTED_PROTOCOL: {
        // Three different things, told apart by what libcurl says.
        if (why.find("HTTP/0.9") != std::string::npos)
            return Error(host + " answered '" + url +
                         "' with no HTTP status line (HTTP/0.9 or not HTTP at all); it is no "
                         "registry or web server berth can talk to: check the host and port");
        std::string protocol;
        if (auto open = why.find("Protocol \""); open != std::string::npos) {
            auto start = open + 10;
            protocol = why.substr(start, why.find('"', start) - start);
        }
        if (protocol == "http")
            return Error("refusing '" + url + "' (" + why +
                         "): plain HTTP needs --insecure-options=http");
        if (!protocol.empty())
            return Error(host + " sent berth to a '" + protocol + ":' URL fetching '" + url +
                         "'; berth fetches only over https (and http when allowed): the "
                         "server or its redirect is misconfigured or hostile");
        return Error("refusing '" + url + "' (" + why + ")");
    }
    case CURLE_TOO_MANY_REDIRECTS:
        return Error("too many redirects fetching '" + url + "'");
    default:
        return Error("transfer from " + host + " failed: " + why);
    }
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options))
{
    globalInit();
    if (options_.certsDirectories.empty()) options_.certsDirectories = defaultCertsDirectories();
    // BERTH_CONNECT_TO="HOST:PORT:ADDR:PORT[,…]", in curl's --connect-to form.
    if (const char* env = std::getenv("BERTH_CONNECT_TO"); env && *env) {
        std::string list = env;
        size_t start = 0;
        while (start <= list.size()) {
            size_t comma = list.find(',', start);
            std::string entry =
                list.substr(start, comma == std::string::npos ? comma : comma - start);
            if (!entry.empty()) connectTo_ = curl_slist_append(connectTo_, entry.c_str());
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
}

HttpClient::~HttpClient()
{
    if (easy_) curl_easy_cleanup(easy_);
    curl_slist_free_all(connectTo_);
}

std::vector<std::string> HttpClient::certsDirectoriesFor(const std::string& hostPort) const
{
    std::vector<std::string> dirs;
    for (const auto& root : options_.certsDirectories)
        dirs.push_back(root + "/" + hostPort);
    return dirs;
}

const std::optional<std::string>& HttpClient::caBundleFor(const std::string& hostPort)
{
    auto found = caBundles_.find(hostPort);
    if (found != caBundles_.end()) return found->second;
    std::string extra;
    for (const auto& dir : certsDirectoriesFor(hostPort)) {
        std::string cert, key;
        for (const auto& name : listFiles(dir)) {
            std::string path = dir + "/" + name;
            if (name.ends_with(".crt")) {
                auto pem = readFile(path, 1 << 20);
                if (!pem) {
                    logWarning("ignoring CA certificate: {}", pem.error().message());
                    continue;
                }
                logDebug("trusting CA certificate {} for {}", path, hostPort);
                extra += *pem + "\n";
            } else if (name.ends_with(".cert")) {
                cert = path;
            } else if (name.ends_with(".key")) {
                key = path;
            }
        }
        // A client certificate pair, as Docker and Podman read it.
        if (!cert.empty() && !key.empty()) clientCerts_[hostPort] = {cert, key};
    }
    std::optional<std::string> bundle;
    if (!extra.empty()) {
        // The certs.d CAs are added to the system ones, not put in their
        // place, so a registry that redirects blobs to a CDN still works.
        std::string system;
        CURL* probe = curl_easy_init();
        char* defaultCa = nullptr;
        if (probe && curl_easy_getinfo(probe, CURLINFO_CAINFO, &defaultCa) == CURLE_OK &&
            defaultCa) {
            if (auto text = readFile(defaultCa, 16 << 20)) system = *text;
        }
        if (probe) curl_easy_cleanup(probe);
        bundle = system + "\n" + extra;
    }
    return caBundles_.emplace(hostPort, std::move(bundle)).first->second;
}

Result<void> HttpClient::configure(CURL* easy, const std::string& url, RequestDeadline* deadline)
{
    if (deadline) {
        deadline->start = std::chrono::steady_clock::now();
        deadline->seconds = options_.deadlineSeconds;
        deadline->passed = false;
        curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, onTransferInfo);
        curl_easy_setopt(easy, CURLOPT_XFERINFODATA, deadline);
        curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    }
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    const char* protocols = options_.allowHttp ? "https,http" : "https";
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, options_.maxRedirects);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, options_.connectTimeoutSeconds);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, options_.lowSpeedBytes);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, options_.lowSpeedSeconds);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options_.verifyTls ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options_.verifyTls ? 2L : 0L);
    std::string hostPort = hostPortOf(url);
    const auto& bundle = caBundleFor(hostPort);
    if (bundle) {
        struct curl_blob blob;
        blob.data = const_cast<char*>(bundle->data());
        blob.len = bundle->size();
        blob.flags = CURL_BLOB_COPY;
        if (curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK)
            return Error("libcurl cannot take an in-memory CA bundle for " + hostPort);
    }
    // Like curl's --connect-to: reach a name at another address without
    // touching DNS, so the tests can serve example.com from 127.0.0.1 and
    // still check its certificate by name.
    if (connectTo_) curl_easy_setopt(easy, CURLOPT_CONNECT_TO, connectTo_);
    if (auto cert = clientCerts_.find(hostPort); cert != clientCerts_.end()) {
        curl_easy_setopt(easy, CURLOPT_SSLCERT, cert->second.first.c_str());
        curl_easy_setopt(easy, CURLOPT_SSLKEY, cert->second.second.c_str());
    }
    return ok();
}

Result<HttpResponse> HttpClient::sendOnce(const HttpRequest& request, int* curlCode)
{
    *curlCode = 0;
    if (!easy_) easy_ = curl_easy_init();
    if (!easy_) return Error("cannot create a libcurl handle");
    curl_easy_reset(easy_);
    RequestDeadline deadline;
    deadline.expectedBytes = request.expectedBytes;
    deadline.maxBytes = static_cast<int64_t>(request.maxResponseBytes);
    BERTH_CHECK(configure(easy_, request.url, &deadline));
    HttpResponse response;
    Collector collector{&response, request.maxResponseBytes};
    char errorBuffer[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, collectBody);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &collector);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, collectHeader);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, &response);
    if (request.method == "HEAD") curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
    struct curl_slist* headers = nullptr;
    for (const auto& h : request.headers)
        headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers);
    std::string userpwd;
    if (request.basicAuth) {
        curl_easy_setopt(easy_, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(easy_, CURLOPT_USERNAME, request.basicAuth->first.c_str());
        curl_easy_setopt(easy_, CURLOPT_PASSWORD, request.basicAuth->second.c_str());
    }
    CURLcode code = curl_easy_perform(easy_);
    curl_slist_free_all(headers);
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, nullptr);
    if (collector.tooLarge)
        return Error("the answer to '" + request.url + "' is larger than " +
                     std::to_string(request.maxResponseBytes) + " bytes; refusing it");
    if (deadline.passed)
        return deadlineError(request.method, request.url, deadline,
                             static_cast<int64_t>(response.body.size()));
    if (code != CURLE_OK) {
        *curlCode = code;
        return transportError(code, request.url, errorBuffer);
    }
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &response.status);
    char* effective = nullptr;
    curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &effective);
    response.effectiveUrl = effective ? effective : request.url;
    return response;
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request)
{
    for (int attempt = 1;; ++attempt) {
        int code = 0;
        auto response = sendOnce(request, &code);
        bool retryable = response ? isRetryableStatus(response->status)
                                  : (code != 0 && isRetryableTransportError(code));
        if (!retryable || !options_.retry.mayRetry(attempt)) return response;
        auto delay = options_.retry.delayBefore(attempt + 1);
        logDebug("{} {}: {}; retrying in {} ms", request.method, request.url,
                 response ? "HTTP " + std::to_string(response->status) : response.error().message(),
                 delay.count());
        std::this_thread::sleep_for(delay);
    }
}

} // namespace berth
