#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/progress.hpp>
#include <string>

namespace berth
{

// When to go to the network (DESIGN §5, issue 4): `run` defaults to New,
// `fetch` to Update.
enum class PullPolicy {
    Never,  // only what the store has
    New,    // the network only for what the store lacks
    Update, // ask the source again (a fresh max-age or a 304 still skips the download)
};

Result<PullPolicy> parsePullPolicy(const std::string& text);

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
};

} // namespace berth
