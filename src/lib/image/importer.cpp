#include "docker_archive_import.hpp"
#include "oci_archive_import.hpp"
#include "oci_layout_import.hpp"

#include <berth/image/aci_import.hpp>
#include <berth/image/importer.hpp>
#include <unistd.h>

namespace berth
{

namespace
{

Error unsignedRefusal(const ImageReference& reference)
{
    return Error("image '" + reference.original +
                 "' has no verified signature; trust its signer with 'berth trust', or pass "
                 "--insecure-options=image to run it unsigned");
}

} // namespace

Result<ImageRecord> importImage(Store& store, const ImageReference& reference,
                                const ImportOptions& options)
{
    using T = ImageReference::Transport;
    if (reference.transport == T::Docker)
        return Error("fetching from registries (docker://) is not supported yet: '" +
                     reference.original + "'");
    if (reference.transport == T::Https)
        return Error("fetching over HTTP(S) is not supported yet: '" + reference.original + "'");
    if (reference.transport == T::Stored)
        return Error("'" + reference.original +
                     "' is not an image source (use oci:DIR, oci-archive:FILE, "
                     "docker-archive:FILE or a .aci file)");
    // Before anything touches the store: an image with no verified signature
    // is refused unless the user said otherwise. A caller that checked a
    // signature (the verify stage, through stage0) passes its verdict as
    // verifiedBy; OCI sources have no signature berth checks yet.
    // A source that is not there is named as such first: asking for a
    // signature of nothing sends the user the wrong way.
    if (::access(reference.path.c_str(), F_OK) < 0)
        return Error::fromErrno("image '" + reference.original + "': cannot read '" +
                                reference.path + "'");
    if (!options.allowUnsigned && options.verifiedBy.empty()) return unsignedRefusal(reference);

    Result<ImageRecord> result = Error("unreachable");
    switch (reference.transport) {
    case T::OciLayout:
        result = importOciLayout(store,
                                 OciLayoutSource{reference.path, reference.tag,
                                                 localNameFor(reference.path), reference.original},
                                 options);
        break;
    case T::OciArchive:
        result = importOciArchive(store, reference, options);
        break;
    case T::DockerArchive:
        result = importDockerArchive(store, reference, options);
        break;
    case T::AciFile:
        result = importAciFile(store, reference.path, options);
        break;
    default:
        break;
    }
    return std::move(result).context("import '" + reference.original + "'");
}

} // namespace berth
