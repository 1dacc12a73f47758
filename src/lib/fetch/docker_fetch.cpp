#include <berth/base/log.hpp>
#include <berth/fetch/credentials.hpp>
#include <berth/fetch/docker_fetch.hpp>
#include <berth/fetch/fetch_stage.hpp>
#include <berth/fetch/layer_download.hpp>
#include <berth/fetch/registry_client.hpp>
#include <berth/fetch/registry_signatures.hpp>
#include <berth/image/oci_config.hpp>
#include <berth/image/oci_index.hpp>
#include <berth/image/oci_manifest.hpp>
#include <berth/image/oci_media_types.hpp>
#include <berth/image/oci_platform.hpp>
#include <berth/trust/image_verification.hpp>
#include <berth/trust/stored_image_trust.hpp>
#include <berth/trust/stored_image_verification.hpp>

// The image area's last import step, shared so that a pulled image is
// recorded exactly like an imported one.
#include "src/lib/image/oci_image_commit.hpp"

namespace berth
{

namespace
{

constexpr size_t kMaxConfigBytes = 8 << 20;

Result<std::optional<Credential>> credentialFor(const DockerReference& ref,
                                                const FetchOptions& options)
{
    std::vector<std::string> files =
        options.authFile.empty() ? credentialFiles() : std::vector<std::string>{options.authFile};
    BERTH_TRY(auto credential, findCredential(files, ref.registry, ref.repository));
    if (credential) logDebug("using credentials for {} from {}", ref.registry, credential->source);
    return credential;
}

// The image the store already has for this reference, when it has all of it.
Result<std::optional<ImageRecord>> storedImage(Store& store, const DockerReference& ref)
{
    std::optional<ImageRecord> record;
    if (ref.digest) {
        BERTH_TRY(std::optional<std::string> id,
                  store.index().getCache(manifestCacheKey(*ref.digest)));
        if (!id) return record;
        BERTH_TRY(record, store.index().findById(*id));
        // Checked against the name asked for, as a name row's image is.
        if (record) record->name = ref.name();
    } else {
        BERTH_TRY(record, store.index().findByName(ref.name(), ref.tag));
    }
    if (!record) return record;
    for (const auto& layer : record->layers)
        if (!store.hasBlob(layer.blob)) return std::optional<ImageRecord>();
    return record;
}

std::string shortDigest(const Digest& d)
{
    return d.algorithmName() + ":" + d.hex().substr(0, 12);
}

// The config, from the store when an earlier pull brought it, else from the
// registry under the blob's fetch lock, so that concurrent pulls of one
// image download it once.
Result<std::string> fetchConfig(Store& store, RegistryClient& registry, const OciDescriptor& d)
{
    if (d.size > static_cast<int64_t>(kMaxConfigBytes))
        return Error("config " + d.digest.str() + " is too large (" + std::to_string(d.size) +
                     " bytes)");
    BERTH_TRY(FileLock lock, FileLock::acquire(store.rootFd(), blobFetchLockName(d.digest),
                                               FileLock::Mode::Exclusive));
    if (store.hasVerifiedBlob(d.digest)) return store.readBlob(d.digest, kMaxConfigBytes);
    BERTH_TRY(std::string text, registry.getBlob(d.digest, d.size, kMaxConfigBytes));
    BERTH_CHECK(store.putBlob(text, d.digest.algorithm()).context("store config"));
    return text;
}

// The outcome of checking a registry image's signatures, and what to keep
// of them for `berth image verify`.
struct SignatureCheck {
    TrustVerdict verdict;
    StoredSignatures stored;
};

// Signatures of the platform manifest first; when it has none and it was
// reached through an index, those of the index.
Result<SignatureCheck> verifyRegistrySignatures(HttpClient& http, const SignatureSources& sources,
                                                const DockerReference& ref,
                                                const Digest& manifestDigest,
                                                const std::optional<ManifestDocument>& topIndex)
{
    SignatureCheck check;
    BERTH_TRY(std::vector<std::string> signatures, fetchSignatures(http, sources, manifestDigest));
    BERTH_TRY(check.verdict,
              verifyOciSimpleSigning(ref.str(), manifestDigest, signatures, TrustOptions{}));
    check.stored = StoredSignatures{ref.str(), std::move(signatures), manifestDigest.str(), {}};
    if (check.verdict.status != TrustVerdict::Status::Unsigned || !topIndex) return check;
    BERTH_TRY(signatures, fetchSignatures(http, sources, topIndex->digest));
    BERTH_TRY(check.verdict,
              verifyOciSimpleSigning(ref.str(), topIndex->digest, signatures, TrustOptions{}));
    check.stored =
        StoredSignatures{ref.str(), std::move(signatures), topIndex->digest.str(), topIndex->body};
    return check;
}

} // namespace

std::string manifestCacheKey(const Digest& manifest)
{
    return "docker-manifest:" + manifest.str();
}

Result<ImageRecord> fetchDockerImage(Store& store, HttpClient& http, const DockerReference& ref,
                                     const FetchOptions& options, Progress& progress)
{
    if (options.pull != PullPolicy::Update) {
        BERTH_TRY(std::optional<ImageRecord> stored, storedImage(store, ref));
        if (stored) {
            logDebug("{} is in the store as {}", ref.str(), stored->id);
            // As at every run: no gpg, but the verifying key must still be
            // trusted and the stored blobs must still chain to its digest.
            BERTH_CHECK(checkStoredImageTrust(store, *stored, KeyringPaths::defaults()));
            return std::move(*stored);
        }
        if (options.pull == PullPolicy::Never)
            return Error("'" + ref.str() + "' is not in the store and --pull=never forbids " +
                         "fetching it");
    }

    // Without --insecure-options=image the image must come with a signature;
    // with nowhere to look for one it is refused before any network traffic.
    std::optional<SignatureSources> signatureSources;
    if (!options.allowUnsigned) {
        BERTH_TRY(signatureSources, signatureSourcesFor(ref, options));
        if (signatureSources->empty()) return Error(unsignedRegistryImage(*signatureSources));
    }

    BERTH_TRY(std::optional<Credential> credential, credentialFor(ref, options));
    RegistryClient registry(http, ref, credential);
    std::string where = "registry " + ref.registry + ": " + ref.str();

    BERTH_TRY(ManifestDocument doc, registry.getManifest(ref.manifestReference()));
    // A signature may name the index pulled by tag (skopeo copy --all
    // --sign-by signs that) rather than this platform's manifest.
    std::optional<ManifestDocument> topIndex;
    if (isIndexMediaType(doc.mediaType)) topIndex = doc;
    OciPlatform platform = platformFor(options.os, options.architecture);
    // An index leads to the manifest for this platform, a bounded number of
    // levels down; each level is fetched by digest, so each is verified.
    for (int depth = 0; isIndexMediaType(doc.mediaType); ++depth) {
        if (depth == 2) return Error(where + ": image indexes nested too deeply");
        BERTH_TRY(OciIndex index, parseOciIndex(doc.body, where + ": index " + doc.digest.str()));
        BERTH_TRY(OciDescriptor chosen,
                  selectPlatformManifest(index.manifests, platform,
                                         where + ": index " + doc.digest.str()));
        logDebug("{}: {} chosen for {}", where, chosen.digest.str(), platformString(platform));
        BERTH_TRY(doc, registry.getManifest(chosen.digest.str()));
    }
    BERTH_TRY(OciManifest manifest,
              parseOciManifest(doc.body, where + ": manifest " + doc.digest.str()));

    // The signature is checked against the manifest just fetched (its
    // digest computed here from the bytes), or the index that led to it,
    // before the config and layers are downloaded: a refused image costs
    // a manifest and stores nothing.
    std::string verifiedBy = "insecure";
    std::optional<SignatureCheck> verifiedSignatures;
    if (signatureSources) {
        BERTH_TRY(verifiedSignatures,
                  verifyRegistrySignatures(http, *signatureSources, ref, doc.digest, topIndex)
                      .context(where));
        if (!verifiedSignatures->verdict.ok())
            return Error(describeVerdict(verifiedSignatures->verdict, signatureSources->trustName));
        verifiedBy = verifiedSignatures->verdict.fingerprint;
        logDebug("{}: {} signed by trusted key {}", where, verifiedSignatures->stored.signedDigest,
                 verifiedBy);
    }

    // gc holds the store lock exclusively: it must not collect blobs that we
    // have stored (the config first) before the index names them.
    BERTH_TRY(FileLock storeLock, store.lock(FileLock::Mode::Shared));
    BERTH_TRY(std::string configText, fetchConfig(store, registry, manifest.config));
    BERTH_TRY(OciImageConfig config,
              parseOciConfig(configText, where + ": config " + manifest.config.digest.str()));
    BERTH_CHECK(checkDiffIdCount(manifest, config, where));

    std::vector<std::unique_ptr<LayerDownload>> layers;
    std::vector<Download*> downloads;
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        const OciDescriptor& d = manifest.layers[i];
        auto check = options.unpacking && options.unpacking->willUnpack(config.diffIds[i])
                         ? LayerDownload::DiffIdCheck::WhenUnpacked
                         : LayerDownload::DiffIdCheck::WhileDownloading;
        layers.push_back(std::make_unique<LayerDownload>(
            store, shortDigest(d.digest), registry.blobUrl(d.digest), d.digest, d.size, d.mediaType,
            config.diffIds[i], check));
        downloads.push_back(layers.back().get());
    }
    DownloadHooks hooks;
    hooks.authorization = [&](bool refresh) { return registry.authorization(refresh); };
    hooks.httpError = [&](long status, const std::string& body, const std::string& label) {
        return registry.httpError(status, body, ref.name() + "@" + label);
    };
    BERTH_CHECK(
        runDownloadsInStage(store, http, downloads, hooks, progress, options.parallelDownloads)
            .context(where));
    progress.close();

    ImageRecord record;
    record.name = ref.name();
    record.tag = ref.digest ? std::string() : ref.tag;
    record.source = "docker://" + ref.str();
    record.verifiedBy = verifiedBy;
    for (const auto& layer : layers)
        record.layers.push_back(*layer->record());
    // Unpacked (and the diff_ids checked) before the index names the image.
    if (options.unpacking) BERTH_CHECK(options.unpacking->unpack(record).context(where));
    // Kept for `berth image verify`, before the record names the image.
    if (verifiedSignatures)
        BERTH_CHECK(store.index().putCache(storedSignaturesKey(doc.digest),
                                           encodeStoredSignatures(verifiedSignatures->stored)));
    BERTH_TRY(ImageRecord committed,
              commitOciImage(store, std::move(record), doc.body, doc.digest, manifest, configText)
                  .context(where));
    if (ref.digest)
        BERTH_CHECK(store.index().putCache(manifestCacheKey(*ref.digest), committed.id));
    return committed;
}

} // namespace berth
