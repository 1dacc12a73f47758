#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/fetch_options.hpp>
#include <berth/image/image_record.hpp>
#include <berth/image/reference.hpp>
#include <berth/store/store.hpp>

namespace berth
{

// The one entry point for images that come over the network:
//   docker://HOST[:PORT]/REPO[:TAG|@DIGEST]   an OCI Distribution v2 registry
//   https://…/NAME.aci                        an ACI (and NAME.aci.asc beside it)
//   example.com/app[:version][,label=value]   appc discovery (a Stored reference
//                                             the store does not resolve)
// Honours options.pull; shows progress as options.progress says; on any
// failure nothing new is visible under a final name in the store.
Result<ImageRecord> fetchRemoteImage(Store& store, const ImageReference& reference,
                                     const FetchOptions& options);

// Whether fetchRemoteImage handles this reference (registries, URLs, and
// names that appc discovery can look up).
bool isRemoteReference(const ImageReference& reference);

} // namespace berth
