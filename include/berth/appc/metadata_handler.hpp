#pragma once

#include <berth/appc/http_request.hpp>
#include <berth/appc/http_response.hpp>
#include <berth/appc/pod_hmac.hpp>
#include <berth/base/result.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace berth
{

// What the appc metadata service tells one app about itself.
struct AppMetadata {
    std::string name;              // the app's AC Name in the pod (AC_APP_NAME)
    std::string imageId;           // "sha512-…", as in the pod manifest
    std::string imageManifestJson; // the image manifest as stored, byte for byte
    // The image's annotations, overridden and extended by the pod
    // manifest's app annotations (image order first, then new ones).
    std::vector<std::pair<std::string, std::string>> annotations;
};

// What the metadata service tells the apps about their pod. Fixed for the
// pod's life: the service never reads the disk while it runs.
struct PodMetadata {
    std::string uuid;            // canonical RFC 4122 form
    std::string podManifestJson; // the reified pod manifest
    std::vector<std::pair<std::string, std::string>> annotations;
    std::vector<AppMetadata> apps;
};

// Finds the HMAC key of another pod by UUID, for /pod/hmac/verify of a
// signature made elsewhere; nullopt when unknown. Called on the server's
// thread.
using HmacKeyLookup = std::function<std::optional<PodHmacKey>(const std::string& uuid)>;

// The appc metadata service's endpoints (spec/ace.md "App Container Metadata
// Service"), as a pure function from request to response so that tests need
// no socket. Every path is below "/TOKEN/acMetadata/v1": the token is the
// authorization the spec asks for, so the service may listen where others
// can connect (with --net=host: the host's loopback) and still tell nothing
// to whoever lacks it.
//
//   GET  pod/annotations              JSON list of {name,value}
//   GET  pod/annotations/NAME         the value (berth extension)
//   GET  pod/manifest                 the reified pod manifest
//   GET  pod/uuid                     text/plain; charset=us-ascii
//   POST pod/hmac/sign                form content=… → base64 HMAC-SHA512
//   POST pod/hmac/verify              form content, uuid, signature → 200/403
//   GET  apps/NAME/annotations        JSON list, image's merged with pod's
//   GET  apps/NAME/annotations/KEY    the value (berth extension)
//   GET  apps/NAME/image/manifest     the image manifest as stored
//   GET  apps/NAME/image/id           text/plain; charset=us-ascii
//
// HEAD works wherever GET does.
class MetadataHandler
{
public:
    MetadataHandler(PodMetadata pod, PodHmacKey key, std::string token,
                    HmacKeyLookup otherPods = {});

    MetadataResponse handle(const MetadataRequest& request) const;

    const std::string& token() const { return token_; }
    const PodMetadata& pod() const { return pod_; }
    const PodHmacKey& key() const { return key_; }

private:
    MetadataResponse handlePod(const MetadataRequest& request, std::string_view rest) const;
    MetadataResponse handleApp(const MetadataRequest& request, std::string_view rest) const;
    MetadataResponse sign(const MetadataRequest& request) const;
    MetadataResponse verify(const MetadataRequest& request) const;

    PodMetadata pod_;
    PodHmacKey key_;
    std::string token_;
    HmacKeyLookup otherPods_;
};

// A fresh token: 192 random bits as 48 lowercase hex digits (the spec asks
// for at least 128 bits, and for no relation to the pod UUID).
std::string newMetadataToken();

// The port the service listens on inside a pod's own network namespace,
// where every port is free; with --net=host an ephemeral one is used.
inline constexpr uint16_t kMetadataPort = 18112;

// AC_METADATA_URL for the apps: "http://127.0.0.1:PORT/TOKEN" (no trailing
// slash: clients append "/acMetadata/v1/…").
std::string metadataUrl(std::string_view host, uint16_t port, std::string_view token);

} // namespace berth
