#include <algorithm>
#include <berth/appc/metadata_handler.hpp>
#include <berth/appc/url_form.hpp>
#include <berth/base/file.hpp>
#include <berth/base/json.hpp>
#include <berth/base/log.hpp>
#include <cctype>
#include <openssl/crypto.h>

namespace berth
{

namespace
{

constexpr std::string_view kApiPrefix = "/acMetadata/v1/";
constexpr const char* kAsciiText = "text/plain; charset=us-ascii";

std::string annotationsJson(const std::vector<std::pair<std::string, std::string>>& annotations)
{
    Json list = Json::array();
    for (const auto& [name, value] : annotations)
        list.push_back(Json{{"name", name}, {"value", value}});
    // Values come from image and pod manifests; invalid UTF-8 is replaced
    // rather than allowed to throw on the server thread.
    return list.dump(-1, ' ', false, Json::error_handler_t::replace);
}

const std::string* findValue(const std::vector<std::pair<std::string, std::string>>& list,
                             std::string_view name)
{
    for (const auto& [key, value] : list)
        if (key == name) return &value;
    return nullptr;
}

bool isReadMethod(const MetadataRequest& request)
{
    return request.method == "GET" || request.method == "HEAD";
}

MetadataResponse methodNotAllowed(const char* allow)
{
    auto response = MetadataResponse::error(405, "method not allowed");
    response.headers.emplace_back("Allow", allow);
    return response;
}

bool tokensEqual(std::string_view given, const std::string& expected)
{
    if (given.size() != expected.size()) return false;
    return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

Result<std::map<std::string, std::string>> formOf(const MetadataRequest& request)
{
    if (auto type = request.header("content-type")) {
        std::string lower(*type);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (!lower.starts_with("application/x-www-form-urlencoded"))
            return Error("expected an application/x-www-form-urlencoded body");
    }
    return parseUrlEncodedForm(request.body);
}

} // namespace

MetadataHandler::MetadataHandler(PodMetadata pod, PodHmacKey key, std::string token,
                                 HmacKeyLookup otherPods)
    : pod_(std::move(pod)), key_(std::move(key)), token_(std::move(token)),
      otherPods_(std::move(otherPods))
{
}

MetadataResponse MetadataHandler::handle(const MetadataRequest& request) const
{
    // "/TOKEN/acMetadata/v1/REST". A wrong or missing token gets the same
    // answer whatever follows, so nothing about the pod leaks without it.
    std::string_view path = request.path;
    if (!path.starts_with('/')) return MetadataResponse::error(400, "bad request target");
    path.remove_prefix(1);
    auto slash = path.find('/');
    std::string_view token = path.substr(0, slash);
    if (!tokensEqual(token, token_))
        return MetadataResponse::error(401, "missing or wrong metadata token");
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash);
    if (!path.starts_with(kApiPrefix)) return MetadataResponse::error(404, "not found");
    path.remove_prefix(kApiPrefix.size());

    // Names are AC Names/Identifiers; decoding lets clients escape '/' in
    // annotation names and is refused when malformed.
    auto decoded = percentDecode(path);
    if (!decoded) return MetadataResponse::error(400, decoded.error().message());
    std::string_view rest = *decoded;
    if (rest.starts_with("pod/")) return handlePod(request, rest.substr(4));
    if (rest.starts_with("apps/")) return handleApp(request, rest.substr(5));
    return MetadataResponse::error(404, "not found");
}

MetadataResponse MetadataHandler::handlePod(const MetadataRequest& request,
                                            std::string_view rest) const
{
    if (rest == "hmac/sign") {
        if (request.method != "POST") return methodNotAllowed("POST");
        return sign(request);
    }
    if (rest == "hmac/verify") {
        if (request.method != "POST") return methodNotAllowed("POST");
        return verify(request);
    }
    if (!isReadMethod(request)) return methodNotAllowed("GET, HEAD");
    if (rest == "annotations") return MetadataResponse::json(annotationsJson(pod_.annotations));
    if (rest.starts_with("annotations/")) {
        if (const auto* value = findValue(pod_.annotations, rest.substr(12)))
            return MetadataResponse::text(200, *value);
        return MetadataResponse::error(404, "no such pod annotation");
    }
    if (rest == "manifest") return MetadataResponse::json(pod_.podManifestJson);
    if (rest == "uuid") return MetadataResponse::text(200, pod_.uuid, kAsciiText);
    return MetadataResponse::error(404, "not found");
}

MetadataResponse MetadataHandler::handleApp(const MetadataRequest& request,
                                            std::string_view rest) const
{
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) return MetadataResponse::error(404, "not found");
    std::string_view name = rest.substr(0, slash);
    std::string_view entry = rest.substr(slash + 1);
    auto app = std::find_if(pod_.apps.begin(), pod_.apps.end(),
                            [&](const AppMetadata& a) { return a.name == name; });
    if (app == pod_.apps.end()) return MetadataResponse::error(404, "no such app in this pod");
    if (!isReadMethod(request)) return methodNotAllowed("GET, HEAD");
    if (entry == "annotations") return MetadataResponse::json(annotationsJson(app->annotations));
    if (entry.starts_with("annotations/")) {
        if (const auto* value = findValue(app->annotations, entry.substr(12)))
            return MetadataResponse::text(200, *value);
        return MetadataResponse::error(404, "no such app annotation");
    }
    if (entry == "image/manifest") return MetadataResponse::json(app->imageManifestJson);
    if (entry == "image/id") return MetadataResponse::text(200, app->imageId, kAsciiText);
    return MetadataResponse::error(404, "not found");
}

MetadataResponse MetadataHandler::sign(const MetadataRequest& request) const
{
    auto form = formOf(request);
    if (!form) return MetadataResponse::error(400, form.error().message());
    auto content = form->find("content");
    if (content == form->end())
        return MetadataResponse::error(400, "form field 'content' is required");
    return MetadataResponse::text(200, key_.sign(content->second), kAsciiText);
}

MetadataResponse MetadataHandler::verify(const MetadataRequest& request) const
{
    auto form = formOf(request);
    if (!form) return MetadataResponse::error(400, form.error().message());
    for (const char* field : {"content", "uuid", "signature"})
        if (!form->contains(field))
            return MetadataResponse::error(400,
                                           std::string("form field '") + field + "' is required");
    const std::string& uuid = form->at("uuid");
    bool valid = false;
    if (uuid == pod_.uuid) {
        valid = key_.verify(form->at("content"), form->at("signature"));
    } else if (otherPods_) {
        if (auto other = otherPods_(uuid))
            valid = other->verify(form->at("content"), form->at("signature"));
    }
    // The spec: 403 whenever the check fails, unknown pods included, so a
    // caller cannot probe which UUIDs exist.
    if (!valid) return MetadataResponse::text(403, "signature verification failed\n", kAsciiText);
    return MetadataResponse::text(200, "", kAsciiText);
}

std::string newMetadataToken()
{
    return randomHex(24);
}

std::string metadataUrl(std::string_view host, uint16_t port, std::string_view token)
{
    std::string url = "http://";
    url += host;
    url += ':';
    url += std::to_string(port);
    url += '/';
    url += token;
    return url;
}

} // namespace berth
