#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/store.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// Finds the stored ACI that satisfies one dependency (or a pod manifest's
// image reference, which has the same shape): by image ID when pinned (a
// "sha512-HEX" that may be a prefix, as appc allows shortened IDs), else by
// name and labels, the "version" label matching the image's tag; the newest
// import wins among several matches. `dependent` names the image that needs
// it, for the error: "dependency 'x' of 'y' is not in the store; fetch it
// first".
Result<ImageRecord> findAciDependency(Store& store, const AciDependency& dependency,
                                      std::string_view dependent);

// The images to lay down for `image`, in order: each image's dependencies
// (recursively, in manifest order) before the image itself, the image last,
// as appc says. An image reached twice (a diamond) is listed once, where it
// is first needed. A cycle, or a dependency missing from the store, is an
// error naming the chain.
Result<std::vector<ImageRecord>> resolveAciDependencies(Store& store, const ImageRecord& image);

} // namespace berth
