#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/progress.hpp>
#include <berth/image/image_record.hpp>
#include <berth/render/extract_limits.hpp>
#include <berth/store/digest.hpp>
#include <functional>
#include <optional>
#include <string>

namespace berth
{

// When to go to the network: `run` defaults to New,
// `fetch` to Update.
enum class PullPolicy {
    Never,  // only what the store has
    New,    // the network only for what the store lacks
    Update, // ask the source again (a fresh max-age or a 304 still skips the download)
};

Result<PullPolicy> parsePullPolicy(const std::string& text);

// How a registry image's layers are unpacked before its record is written,
// for the commands that unpack anyway (`berth fetch`, `berth run`): the image
// is then ready to run, as after `podman pull`. Unpacking checks each
// layer's blob digest and diff_id again, so a layer that will be unpacked
// is not also decompressed while it downloads: that pass was half of a
// fetch's CPU. The record is written only when `unpack` succeeds, so a layer
// whose diff_id is wrong still leaves no image behind.
struct LayerUnpacking {
    // Whether `unpack` will decompress (and so check) the layer with this
    // diff_id: false when its tree is already in the cache.
    std::function<bool(const Digest& diffId)> willUnpack;
    // Unpacks the image's layers; the image is not in the index yet.
    std::function<Result<void>(const ImageRecord& image)> unpack;
};

struct FetchOptions {
    bool allowUnsigned = false;  // --insecure-options=image
    bool insecureTls = false;    // --insecure-options=tls
    bool allowHttp = false;      // --insecure-options=http
    bool insecurePubkey = false; // --insecure-options=pubkey
    // --signature FILE: an ACI's detached signature, or a simple-signing
    // signature of a registry image (besides its lookaside).
    std::string signaturePath;
    PullPolicy pull = PullPolicy::Update;
    ProgressMode progress = ProgressMode::Auto;
    int parallelDownloads = 3;
    // Credentials file to use instead of the usual search (berth --authfile).
    std::string authFile;
    // Platform chosen from an index; empty architecture: the host's.
    std::string os = "linux";
    std::string architecture;
    // Transfer limits (tests shorten them).
    long connectTimeoutSeconds = 30;
    long lowSpeedSeconds = 30;
    int maxAttempts = 5;
    // A layer declared larger than limits.maxBytes is refused before its
    // download, one that inflates past limits.inflateLimit() while it is
    // checked (the unpacking applies the same limits).
    ExtractLimits limits;
    // Set by callers that unpack registry images before recording them.
    std::optional<LayerUnpacking> unpacking;
};

} // namespace berth
