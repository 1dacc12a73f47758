#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/docker_reference.hpp>
#include <berth/fetch/fetch_options.hpp>
#include <berth/fetch/http_client.hpp>
#include <berth/fetch/progress.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/store.hpp>

namespace berth
{

// Pulls docker://REFERENCE into the store: manifest (through an index to
// this platform), config, then the layers in parallel; records the image
// like a local import does (config digest = image ID).
Result<ImageRecord> fetchDockerImage(Store& store, HttpClient& http,
                                     const DockerReference& reference, const FetchOptions& options,
                                     Progress& progress);

// The cache key under which the image of a manifest digest is remembered,
// so that a pull by digest under --pull=new needs no network.
std::string manifestCacheKey(const Digest& manifest);

} // namespace berth
