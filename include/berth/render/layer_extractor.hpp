#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/render/extract_limits.hpp>
#include <berth/render/layer_stream.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace berth
{

// How a layer's whiteouts are written.
enum class LayerMode {
    // Deletions are applied to the tree below (renderImage, extractImage).
    Flatten,
    // The layer is kept on its own for overlayfs (the tree cache): a
    // whiteout becomes a 0/0 character device, an opaque directory gets the
    // user.overlay.opaque xattr (overlayfs honours it with "userxattr" in a
    // user namespace).
    Overlay,
};

enum class Ownership {
    // chown to the tar's uid/gid (as real root, or as container root in a
    // user namespace with a subordinate map). Unmapped ids fall back to 0.
    Keep,
    // Leave files owned by whoever extracts (single-id map: nothing else
    // can be represented).
    Squash,
};

// One layer to apply and how to tell the user which one failed.
struct LayerSource {
    std::string label;                      // "image 'x' layer 2/3 (sha256:…)"
    LayerStream::Expect expect;             // digests to verify (maxBytes is set from limits)
    bool aci = false;                       // members under "rootfs/", "manifest" skipped
    std::vector<std::string> pathWhitelist; // ACI: "/bin/sh", …; empty keeps all
};

struct ExtractOptions {
    LayerMode mode = LayerMode::Flatten;
    Ownership ownership = Ownership::Keep;
    ExtractLimits limits;
    // Also mark opaque directories with trusted.overlay.opaque (real root,
    // where overlayfs is mounted without userxattr).
    bool trustedOverlayXattrs = false;
};

struct ExtractStats {
    uint64_t entries = 0;
    uint64_t bytes = 0;          // file content bytes
    uint64_t skippedDevices = 0; // device nodes we may not create
    uint64_t squashedOwners = 0; // entries whose owner could not be kept
};

// Applies one layer blob (gzip, zstd or plain tar) to the tree at rootFd,
// verifying the digests in source.expect as it streams. Every member is
// created relative to rootFd through openTreeDirectory (safe_path.hpp): a
// member that would be written outside the tree, or breaks a limit, fails
// the whole layer with an error naming source.label and the member. The
// tree is then partial: the caller removes it.
Result<ExtractStats> extractLayer(int rootFd, UniqueFd blobFd, const LayerSource& source,
                                  const ExtractOptions& options);

} // namespace berth
