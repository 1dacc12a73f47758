#include <berth/base/log.hpp>
#include <berth/base/scope_exit.hpp>
#include <berth/fetch/blob_fetch_lock.hpp>
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

#include <algorithm>
#include <dirent.h>
#include <map>
#include <set>
#include <unistd.h>

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

struct FetchedConfig {
    std::string text;
    bool stored = false; // put into the store by this fetch
};

// The config, from the store when an earlier pull brought it, else from the
// registry under the blob's fetch lock, so that concurrent pulls of one
// image download it once.
Result<FetchedConfig> fetchConfig(Store& store, RegistryClient& registry, const OciDescriptor& d)
{
    if (d.size > static_cast<int64_t>(kMaxConfigBytes))
        return Error("config " + d.digest.str() + " is too large (" + std::to_string(d.size) +
                     " bytes)");
    BERTH_TRY(BlobFetchLock lock, BlobFetchLock::acquire(store.rootFd(), d.digest));
    if (store.hasVerifiedBlob(d.digest)) {
        BERTH_TRY(std::string text, store.readBlob(d.digest, kMaxConfigBytes));
        return FetchedConfig{std::move(text), false};
    }
    BERTH_TRY(std::string text, registry.getBlob(d.digest, d.size, kMaxConfigBytes));
    BERTH_CHECK(store.putBlob(text, d.digest.algorithm()).context("store config"));
    return FetchedConfig{std::move(text), true};
}

// Removes what berths that died left in tmp/: partial blobs and fetch
// locks that no live berth holds (a live one holds the blob's fetch lock
// while its partial exists). The partials of `keep`, the blobs this fetch
// wants, stay for it to resume.
void sweepAbandonedPartials(Store& store, const std::set<std::string>& keep)
{
    std::set<std::string> digests;
    if (DIR* dir = ::opendir(store.path("tmp").c_str())) {
        while (dirent* e = ::readdir(dir)) {
            std::string_view name = e->d_name;
            if (name.starts_with("partial-")) {
                name.remove_prefix(8);
            } else if (name.starts_with("fetch-") && name.ends_with(".lock")) {
                name.remove_prefix(6);
                name.remove_suffix(5);
            } else {
                continue;
            }
            auto dash = name.find('-');
            if (dash == std::string_view::npos) continue;
            std::string text =
                std::string(name.substr(0, dash)) + ":" + std::string(name.substr(dash + 1));
            if (!keep.count(text)) digests.insert(text);
        }
        ::closedir(dir);
    }
    for (const auto& text : digests) {
        auto digest = Digest::parse(text);
        if (!digest) continue;
        auto lock = BlobFetchLock::tryAcquire(store.rootFd(), *digest);
        if (!lock || !lock->isHeld()) continue;
        std::string partial = PartialBlob::nameFor(*digest);
        if (::unlinkat(store.rootFd(), partial.c_str(), 0) == 0)
            logDebug("removed {}, left by a berth that is gone", partial);
    }
}

// A refused image leaves the store as it was: the blobs this fetch stored
// go again, each under its fetch lock.
void removeStoredBlobs(Store& store, const std::vector<Digest>& blobs)
{
    for (const auto& digest : blobs) {
        auto lock = BlobFetchLock::acquire(store.rootFd(), digest);
        if (!lock) {
            logDebug("cannot remove {} of the refused image: {}", digest.str(),
                     lock.error().message());
            continue;
        }
        if (auto removed = store.removeBlob(digest); !removed)
            logDebug("cannot remove {} of the refused image: {}", digest.str(),
                     removed.error().message());
    }
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
    std::set<std::string> wanted{manifest.config.digest.str()};
    for (const auto& d : manifest.layers)
        wanted.insert(d.digest.str());
    sweepAbandonedPartials(store, wanted);

    // Whatever this fetch stores goes again if the image is refused.
    std::vector<Digest> storedBlobs;
    std::vector<std::unique_ptr<LayerDownload>> layers;
    ScopeExit removeRefused([&] {
        for (const auto& layer : layers)
            if (layer->published()) storedBlobs.push_back(layer->record()->blob);
        removeStoredBlobs(store, storedBlobs);
    });

    BERTH_TRY(FetchedConfig fetchedConfig, fetchConfig(store, registry, manifest.config));
    if (fetchedConfig.stored) storedBlobs.push_back(manifest.config.digest);
    const std::string& configText = fetchedConfig.text;
    BERTH_TRY(OciImageConfig config,
              parseOciConfig(configText, where + ": config " + manifest.config.digest.str()));
    BERTH_CHECK(checkDiffIdCount(manifest, config, where));

    // Each distinct blob is downloaded once and used at every position that
    // lists it (converted Docker images repeat their empty layer).
    std::vector<Download*> downloads;
    std::vector<size_t> downloadAt; // per manifest position: its entry in `layers`
    std::map<std::string, size_t> firstPosition;
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        const OciDescriptor& d = manifest.layers[i];
        if (d.size > static_cast<int64_t>(options.limits.maxBytes))
            return Error(where + ": layer " + d.digest.str() + " is declared at " +
                         std::to_string(d.size) + " bytes, more than the limit of " +
                         std::to_string(options.limits.maxBytes) +
                         " (BERTH_MAX_LAYER_BYTES); refusing it");
        auto [first, fresh] = firstPosition.emplace(d.digest.str(), i);
        if (!fresh) {
            const OciDescriptor& earlier = manifest.layers[first->second];
            if (!(config.diffIds[i] == config.diffIds[first->second]) || d.size != earlier.size)
                return Error(where + ": layer " + d.digest.str() +
                             " is listed twice with different sizes or diff_ids; the image is "
                             "inconsistent, rebuild and push it again");
            downloadAt.push_back(downloadAt[first->second]);
            continue;
        }
        auto check = options.unpacking && options.unpacking->willUnpack(config.diffIds[i])
                         ? LayerDownload::DiffIdCheck::WhenUnpacked
                         : LayerDownload::DiffIdCheck::WhileDownloading;
        uint64_t maxPlain =
            options.limits.inflateLimit(static_cast<uint64_t>(std::max<int64_t>(d.size, 0)));
        downloadAt.push_back(layers.size());
        layers.push_back(std::make_unique<LayerDownload>(
            store, shortDigest(d.digest), registry.blobUrl(d.digest), d.digest, d.size, d.mediaType,
            config.diffIds[i], check, maxPlain));
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
    for (size_t at : downloadAt)
        record.layers.push_back(*layers[at]->record());
    // Unpacked (and the diff_ids checked) before the index names the image.
    if (options.unpacking) BERTH_CHECK(options.unpacking->unpack(record).context(where));
    // Kept for `berth image verify`, before the record names the image.
    if (verifiedSignatures)
        BERTH_CHECK(store.index().putCache(storedSignaturesKey(doc.digest),
                                           encodeStoredSignatures(verifiedSignatures->stored)));
    BERTH_TRY(ImageRecord committed,
              commitOciImage(store, std::move(record), doc.body, doc.digest, manifest, configText)
                  .context(where));
    removeRefused.release();
    if (ref.digest)
        BERTH_CHECK(store.index().putCache(manifestCacheKey(*ref.digest), committed.id));
    return committed;
}

} // namespace berth
