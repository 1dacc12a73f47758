#include <berth/appc/http_response.hpp>

namespace berth
{

MetadataResponse MetadataResponse::text(int status, std::string body, std::string contentType)
{
    MetadataResponse r;
    r.status = status;
    r.contentType = std::move(contentType);
    r.body = std::move(body);
    return r;
}

MetadataResponse MetadataResponse::json(std::string body)
{
    return text(200, std::move(body), "application/json");
}

MetadataResponse MetadataResponse::error(int status, std::string_view reason)
{
    std::string body(reason.empty() ? httpReasonPhrase(status) : reason);
    body += '\n';
    return text(status, std::move(body));
}

std::string_view httpReasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

std::string serializeHttpResponse(const MetadataResponse& response, bool headRequest)
{
    std::string out;
    out.reserve(128 + response.body.size());
    out += "HTTP/1.1 ";
    out += std::to_string(response.status);
    out += ' ';
    out += httpReasonPhrase(response.status);
    out += "\r\n";
    if (!response.contentType.empty()) {
        out += "Content-Type: ";
        out += response.contentType;
        out += "\r\n";
    }
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
    // Nothing the service answers may be cached by a proxy in the pod.
    out += "Cache-Control: no-store\r\n";
    for (const auto& [name, value] : response.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (response.close) out += "Connection: close\r\n";
    out += "\r\n";
    if (!headRequest) out += response.body;
    return out;
}

} // namespace berth
