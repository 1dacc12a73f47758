#pragma once

#include <berth/base/json.hpp>
#include <berth/base/result.hpp>
#include <berth/image/app_spec.hpp>
#include <berth/image/image_record.hpp>
#include <berth/store/store.hpp>
#include <string>

namespace berth
{

// The manifest blob as stored: an OCI/Docker manifest, or an ACI manifest.
Result<std::string> readImageManifest(Store& store, const ImageRecord& image);

// What `berth image inspect` prints: identity, names, source, format, the
// config (OCI) or manifest (ACI), and every layer with its digests.
Result<Json> inspectImage(Store& store, const ImageRecord& image);

// What to run for an OCI image in the store, from its config blob.
Result<AppSpec> ociAppSpec(Store& store, const ImageRecord& image);

} // namespace berth
