#pragma once

#include <berth/base/result.hpp>
#include <berth/image/oci_descriptor.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// An OCI image index (index.json of a layout, or a multi-platform index), or
// a Docker manifest list.
struct OciIndex {
    std::string mediaType; // empty when the document does not say
    std::vector<OciDescriptor> manifests;
    std::map<std::string, std::string> annotations;
};

Result<OciIndex> parseOciIndex(std::string_view text, std::string_view what);

} // namespace berth
