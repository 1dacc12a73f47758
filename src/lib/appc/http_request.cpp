#include <algorithm>
#include <berth/appc/http_request.hpp>
#include <cctype>
#include <charconv>

namespace berth
{

namespace
{

// RFC 9110 tchar: what a method or a header name may hold.
bool isTokenChar(unsigned char c)
{
    if (std::isalnum(c)) return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return isTokenChar(c); });
}

// A header value may hold visible characters, spaces, tabs and obs-text, but
// no other control characters: a NUL or a bare CR is a smuggling attempt.
bool isFieldValue(std::string_view s)
{
    return std::none_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && u != '\t') || u == 0x7f;
    });
}

// The request-target may hold visible ASCII only (no spaces, no controls).
bool isTargetChar(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

std::string_view trimOws(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::string lowercase(std::string_view s)
{
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool containsToken(std::string_view list, std::string_view token)
{
    // Comma-separated, case-insensitive ("keep-alive, Upgrade").
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = trimOws(list.substr(0, comma));
        if (lowercase(item) == token) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

std::optional<std::string_view> MetadataRequest::header(std::string_view lowercaseName) const
{
    for (const auto& [name, value] : headers)
        if (name == lowercaseName) return std::string_view(value);
    return std::nullopt;
}

HttpRequestParser::State HttpRequestParser::fail(int status, std::string reason)
{
    errorStatus_ = status;
    errorReason_ = std::move(reason);
    state_ = State::Failed;
    return state_;
}

HttpRequestParser::State HttpRequestParser::feed(std::string_view bytes)
{
    if (state_ == State::Failed) return state_;
    buffer_.append(bytes);
    return poll();
}

HttpRequestParser::State HttpRequestParser::poll()
{
    if (state_ != State::NeedMore) return state_;

    if (!haveHead_) {
        // RFC 9112 §2.2: empty lines before the request line are ignored.
        // Bounded, as the whole head is.
        size_t start = 0;
        while (start < buffer_.size() && (buffer_[start] == '\r' || buffer_[start] == '\n'))
            ++start;
        if (start > limits_.maxHeadBytes)
            return fail(400, "too many empty lines before the request");
        if (start > 0) buffer_.erase(0, start);

        // The head ends at the first empty line; LF alone is accepted as a
        // line end (RFC 9112 §2.2 allows it), CR must precede LF otherwise.
        size_t headEnd = std::string::npos;
        size_t bodyStart = 0;
        for (size_t nl = buffer_.find('\n'); nl != std::string::npos;
             nl = buffer_.find('\n', nl + 1)) {
            if (nl + 1 < buffer_.size() && buffer_[nl + 1] == '\n') {
                headEnd = nl + 1;
                bodyStart = nl + 2;
                break;
            }
            if (nl + 2 < buffer_.size() && buffer_[nl + 1] == '\r' && buffer_[nl + 2] == '\n') {
                headEnd = nl + 1;
                bodyStart = nl + 3;
                break;
            }
            if (nl + 1 > limits_.maxHeadBytes) break;
        }
        if (headEnd == std::string::npos) {
            if (buffer_.size() > limits_.maxHeadBytes) {
                // A request line that alone exceeds the bound is a long URI.
                bool inRequestLine = buffer_.find('\n') == std::string::npos ||
                                     buffer_.find('\n') > limits_.maxHeadBytes;
                return inRequestLine ? fail(414, "request line too long")
                                     : fail(431, "request header fields too large");
            }
            return State::NeedMore;
        }
        if (headEnd > limits_.maxHeadBytes) return fail(431, "request header fields too large");
        if (parseHead(headEnd, bodyStart) == State::Failed) return state_;
    }

    if (buffer_.size() - bodyStart_ < contentLength_) return State::NeedMore;
    current_.body = buffer_.substr(bodyStart_, contentLength_);
    buffer_.erase(0, bodyStart_ + contentLength_);
    state_ = State::Complete;
    return state_;
}

HttpRequestParser::State HttpRequestParser::parseHead(size_t headEnd, size_t bodyStart)
{
    current_ = MetadataRequest{};
    std::string_view head(buffer_.data(), headEnd);
    std::vector<std::string_view> lines;
    while (!head.empty()) {
        auto nl = head.find('\n');
        auto line = head.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    }
    if (lines.empty()) return fail(400, "empty request");

    // request-line = method SP request-target SP HTTP-version, single spaces.
    std::string_view requestLine = lines.front();
    auto sp1 = requestLine.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : requestLine.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || requestLine.find(' ', sp2 + 1) != std::string_view::npos)
        return fail(400, "malformed request line");
    auto method = requestLine.substr(0, sp1);
    auto target = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
    auto version = requestLine.substr(sp2 + 1);
    if (!isToken(method)) return fail(400, "malformed method");
    if (target.empty() || target.front() != '/' ||
        !std::all_of(target.begin(), target.end(),
                     [](char c) { return isTargetChar(static_cast<unsigned char>(c)); }))
        return fail(400, "request target must be an absolute path");
    if (version.size() != 8 || !version.starts_with("HTTP/") || !std::isdigit(version[5]) ||
        version[6] != '.' || !std::isdigit(version[7]))
        return fail(400, "malformed HTTP version");
    if (version[5] != '1') return fail(505, "only HTTP/1.x is supported");
    current_.method = std::string(method);
    current_.target = std::string(target);
    auto question = target.find('?');
    current_.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos)
        current_.query = std::string(target.substr(question + 1));
    current_.minorVersion = version[7] - '0';

    if (lines.size() - 1 > limits_.maxHeaders) return fail(431, "too many header fields");
    std::optional<size_t> contentLength;
    for (size_t i = 1; i < lines.size(); ++i) {
        auto line = lines[i];
        // Line folding is obsolete and a known smuggling vector (RFC 9112 §5.2).
        if (line.front() == ' ' || line.front() == '\t') return fail(400, "obsolete line folding");
        auto colon = line.find(':');
        if (colon == std::string_view::npos) return fail(400, "header field without ':'");
        auto name = line.substr(0, colon);
        if (!isToken(name)) return fail(400, "malformed header field name");
        auto value = trimOws(line.substr(colon + 1));
        if (!isFieldValue(value)) return fail(400, "control character in header field value");
        std::string lowerName = lowercase(name);
        if (lowerName == "content-length") {
            size_t n = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size())
                return fail(400, "malformed Content-Length");
            // Differing lengths mean two parsers could disagree on where the
            // next request starts: refuse.
            if (contentLength && *contentLength != n)
                return fail(400, "conflicting Content-Length fields");
            contentLength = n;
        } else if (lowerName == "transfer-encoding") {
            return fail(501, "Transfer-Encoding is not supported; send Content-Length");
        }
        current_.headers.emplace_back(std::move(lowerName), std::string(value));
    }
    contentLength_ = contentLength.value_or(0);
    if (contentLength_ > limits_.maxBodyBytes) return fail(413, "request body too large");

    // HTTP/1.1 keeps the connection by default, 1.0 only when asked.
    auto connection = current_.header("connection");
    if (current_.minorVersion == 0)
        current_.keepAlive = connection && containsToken(*connection, "keep-alive");
    else
        current_.keepAlive = !(connection && containsToken(*connection, "close"));

    haveHead_ = true;
    bodyStart_ = bodyStart;
    return State::NeedMore;
}

MetadataRequest HttpRequestParser::take()
{
    MetadataRequest request = std::move(current_);
    current_ = MetadataRequest{};
    haveHead_ = false;
    bodyStart_ = 0;
    contentLength_ = 0;
    state_ = State::NeedMore;
    return request;
}

} // namespace berth
