#pragma once

#include <berth/base/result.hpp>
#include <berth/image/oci_descriptor.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// An OCI image manifest or a Docker schema2 manifest.
struct OciManifest {
    std::string mediaType; // empty when the document does not say (OCI allows it)
    OciDescriptor config;
    std::vector<OciDescriptor> layers;
    std::map<std::string, std::string> annotations;
};

// Refuses an index given where a manifest is expected, wrong types, bad
// digests, negative sizes and media types we cannot apply.
Result<OciManifest> parseOciManifest(std::string_view text, std::string_view what);

// Serialises a manifest in OCI form (for images we assemble ourselves).
std::string serializeOciManifest(const OciManifest& manifest);

} // namespace berth
