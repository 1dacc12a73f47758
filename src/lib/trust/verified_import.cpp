#include <berth/base/file.hpp>
#include <berth/base/regular_file.hpp>
#include <berth/image/aci_import.hpp>
#include <berth/trust/verified_import.hpp>
#include <fcntl.h>

namespace berth
{

Result<ImageRecord> importVerifiedImage(Store& store, const ImageReference& reference,
                                        ImportOptions options, const TrustOptions& trust)
{
    if (reference.transport != ImageReference::Transport::AciFile && !options.signaturePath.empty())
        return Error("--signature is read for ACIs and docker:// images; a signature of the "
                     "local OCI image '" +
                     reference.original +
                     "' is not checked yet: push it to a registry with its lookaside, or "
                     "accept it unsigned with --insecure-options=image");
    if (options.allowUnsigned || reference.transport != ImageReference::Transport::AciFile)
        return importImage(store, reference, options);

    // The name keys are looked up by comes from the manifest; reading it
    // writes nothing, so a refusal leaves the store as it was.
    BERTH_TRY(AciImageManifest manifest, readAciFileManifest(reference.path));
    BERTH_TRY(UniqueFd aci, openRegularFile(reference.path));
    std::string signature =
        options.signaturePath.empty() ? reference.path + ".asc" : options.signaturePath;
    BERTH_TRY(TrustVerdict verdict, verifyAciSignature(manifest.name, aci.get(), signature, trust)
                                        .context("verify '" + reference.original + "'"));
    if (!verdict.ok()) return Error(describeVerdict(verdict, manifest.name));
    options.verifiedBy = verdict.fingerprint;
    return importImage(store, reference, options);
}

} // namespace berth
