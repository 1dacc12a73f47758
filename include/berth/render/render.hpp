#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/render/extract_limits.hpp>
#include <berth/stage/id_map.hpp>
#include <berth/store/store.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth
{

struct RenderOptions {
    IdMap idMap = IdMap::forCurrentUser();
    ExtractLimits limits = ExtractLimits::fromEnvironment();
};

// Renders the image's full root filesystem (every OCI layer, or the ACI and
// its dependencies in order with pathWhitelist) into `destination`, which
// must not exist yet. Files get their container ownership through the id map
// (in a user namespace when rootless). On failure nothing is left at
// `destination`.
Result<void> renderImage(Store& store, const ImageRecord& image, const std::string& destination,
                         const RenderOptions& options);

// Like renderImage but only the image's own files: for an ACI its rootfs
// without dependencies; for OCI the same as renderImage.
Result<void> extractImage(Store& store, const ImageRecord& image, const std::string& destination,
                          const RenderOptions& options);

// Makes sure every layer of the image (and, for ACI, every dependency) is
// unpacked in the store's tree cache, in overlay form (whiteouts as 0/0
// character devices, opaque directories marked with the user.overlay.opaque
// xattr). Returns the tree directories in overlay lowerdir order, topmost
// first. Trees are shared by every image that has the same layer.
Result<std::vector<std::string>> prepareLayerTrees(Store& store, const ImageRecord& image,
                                                   const RenderOptions& options);

// The warm path's look-up: the image's layer trees as prepareLayerTrees
// would return them for `mapKind` when every one is already rendered, or
// nullopt when one is missing. Reads only the index and the image's
// manifest: no layer is opened and nothing is written.
Result<std::optional<std::vector<std::string>>>
findLayerTrees(Store& store, const ImageRecord& image, IdMap::Kind mapKind);

// The name of a layer's tree under STORE/trees: "sha256-HEX" of its diffId.
// A tree holds its files' owners as the map it was rendered with gave them,
// so trees for --userns=keep-id (where container root is not the user) are
// cached apart, as "sha256-HEX.keep-id".
std::string layerTreeKey(const Digest& diffId, IdMap::Kind mapKind);

// Whether the tree `key` (relative to `treesFd`, the store's trees/, or a
// path with AT_FDCWD) is rendered: a tree is renamed into place as a
// directory only once complete, beside its .lock and .tmp-* entries.
bool layerTreeCached(int treesFd, const std::string& key);

} // namespace berth
