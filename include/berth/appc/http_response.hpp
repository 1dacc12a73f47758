#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth
{

// One HTTP/1.1 response of the metadata service.
// Named apart from fetch's berth::HttpResponse (one-definition rule, see
// MetadataRequest).
struct MetadataResponse {
    int status = 200;
    std::string contentType; // left out when empty
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; // extra fields
    bool close = false; // "Connection: close", then the server hangs up

    static MetadataResponse text(int status, std::string body,
                                 std::string contentType = "text/plain; charset=utf-8");
    static MetadataResponse json(std::string body);
    // An error with a one-line plain-text body.
    static MetadataResponse error(int status, std::string_view reason);
};

// "Not Found" for 404; "Unknown" for codes not listed.
std::string_view httpReasonPhrase(int status);

// The bytes on the wire. A response to HEAD keeps Content-Length and drops
// the body (RFC 9110 §9.3.2).
std::string serializeHttpResponse(const MetadataResponse& response, bool headRequest = false);

} // namespace berth
