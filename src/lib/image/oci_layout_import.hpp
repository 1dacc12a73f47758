#pragma once

#include <berth/base/result.hpp>
#include <berth/image/image_record.hpp>
#include <berth/image/importer.hpp>
#include <berth/store/store.hpp>
#include <string>

namespace berth
{

// Where an OCI layout came from, for naming the image.
struct OciLayoutSource {
    std::string directory;   // the layout (maybe a temporary unpack)
    std::string tag;         // TAG from oci:DIR:TAG, or empty
    std::string defaultName; // "localhost/<basename>" unless ref.name says
    std::string original;    // what the user typed, recorded as the source
};

// Imports one image from an OCI image layout directory (oci: and, after
// unpacking, oci-archive:).
Result<ImageRecord> importOciLayout(Store& store, const OciLayoutSource& source,
                                    const ImportOptions& options);

// "localhost/" + the last path component, minus a .tar suffix.
std::string localNameFor(const std::string& path);

} // namespace berth
