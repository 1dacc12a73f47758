#include "oci_archive_import.hpp"

#include "oci_archive_unpack.hpp"
#include "oci_layout_import.hpp"

#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/base/scope_exit.hpp>

namespace berth
{

Result<ImageRecord> importOciArchive(Store& store, const ImageReference& reference,
                                     const ImportOptions& options)
{
    if (!pathExists(reference.path)) return Error("no such file '" + reference.path + "'");
    BERTH_TRY(std::string tmp, store.makeTempDirectory("oci-archive"));
    ScopeExit cleanup([&] {
        if (auto removed = removeTree(tmp); !removed)
            logWarning("remove '{}': {}", tmp, removed.error().message());
    });
    BERTH_CHECK(unpackImageArchive(reference.path, tmp));
    return importOciLayout(
        store,
        OciLayoutSource{tmp, reference.tag, localNameFor(reference.path), reference.original},
        options);
}

} // namespace berth
