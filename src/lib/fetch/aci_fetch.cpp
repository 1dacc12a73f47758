#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/base/scope_exit.hpp>
#include <berth/fetch/aci_fetch.hpp>
#include <berth/fetch/fetch_stage.hpp>
#include <berth/fetch/parallel_download.hpp>
#include <berth/fetch/remote_cache.hpp>
#include <berth/image/aci_import.hpp>
#include <berth/trust/image_verification.hpp>
#include <berth/trust/stored_image_trust.hpp>
#include <ctime>
#include <fcntl.h>

namespace berth
{

namespace
{

constexpr size_t kMaxSignatureBytes = 1 << 20;

// Streams a URL into a staging file, remembering the cache headers.
class FileDownload : public Download
{
public:
    FileDownload(std::string label, std::string url, int fd,
                 std::optional<RemoteCacheEntry> revalidate)
        : label_(std::move(label)), url_(std::move(url)), fd_(fd),
          revalidate_(std::move(revalidate))
    {
    }

    std::string label() const override { return label_; }
    std::string url() const override { return url_; }
    Result<DownloadStart> begin() override { return DownloadStart::Go; }
    Result<void> write(std::string_view bytes) override
    {
        return writeAll(fd_, bytes).context(label_);
    }
    Result<void> finish() override { return ok(); }

    std::vector<std::string> requestHeaders() const override
    {
        std::vector<std::string> headers;
        if (revalidate_ && !revalidate_->etag.empty())
            headers.push_back("If-None-Match: " + revalidate_->etag);
        if (revalidate_ && !revalidate_->lastModified.empty())
            headers.push_back("If-Modified-Since: " + revalidate_->lastModified);
        return headers;
    }
    void responseHeader(const std::string& name, const std::string& value) override
    {
        if (name == ":status") {
            etag_.clear();
            lastModified_.clear();
            cacheControl_.clear();
        } else if (name == "etag") {
            etag_ = value;
        } else if (name == "last-modified") {
            lastModified_ = value;
        } else if (name == "cache-control") {
            cacheControl_ = value;
        }
    }
    bool notModified() override
    {
        notModified_ = revalidate_.has_value();
        return notModified_;
    }

    bool wasNotModified() const { return notModified_; }
    RemoteCacheEntry cacheEntry(const std::string& imageId) const
    {
        return RemoteCacheEntry{imageId, etag_, lastModified_, cacheControlMaxAge(cacheControl_),
                                static_cast<int64_t>(std::time(nullptr))};
    }

private:
    std::string label_;
    std::string url_;
    int fd_;
    std::optional<RemoteCacheEntry> revalidate_;
    std::string etag_, lastModified_, cacheControl_;
    bool notModified_ = false;
};

std::string fileNameOf(const std::string& url)
{
    std::string path = url.substr(0, url.find_first_of("?#"));
    auto slash = path.rfind('/');
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return name.empty() ? url : name;
}

Result<std::optional<RemoteCacheEntry>> cachedEntry(Store& store, const std::string& url)
{
    BERTH_TRY(std::optional<std::string> text, store.index().getCache(remoteCacheKey(url)));
    if (!text) return std::optional<RemoteCacheEntry>();
    auto entry = RemoteCacheEntry::fromJson(*text);
    if (!entry) {
        logDebug("ignoring a bad cache entry for {}: {}", url, entry.error().message());
        return std::optional<RemoteCacheEntry>();
    }
    BERTH_TRY(std::optional<ImageRecord> image, store.index().findById(entry->imageId));
    if (!image) return std::optional<RemoteCacheEntry>(); // the image was removed since
    return std::optional<RemoteCacheEntry>(std::move(*entry));
}

Result<ImageRecord> storedById(Store& store, const std::string& id)
{
    BERTH_TRY(std::optional<ImageRecord> image, store.index().findById(id));
    if (!image) return Error("image " + id + " vanished from the store");
    // As at every run: the verifying key must still be trusted.
    BERTH_CHECK(checkStoredImageTrust(store, *image, KeyringPaths::defaults()));
    return std::move(*image);
}

Result<void> checkExpected(const std::string& path, const AppName& expected, const std::string& url)
{
    BERTH_TRY(AciImageManifest manifest, readAciFileManifest(path));
    if (manifest.name != expected.name)
        return Error("the ACI at " + url + " is named '" + manifest.name + "', not '" +
                     expected.name + "' as asked; refusing it");
    for (const auto& [key, value] : expected.labels) {
        auto actual = manifest.label(key);
        if (!actual || *actual != value)
            return Error("the ACI at " + url + " has " + key + "=" + actual.value_or("(none)") +
                         ", not " + value + " as asked; refusing it");
    }
    return ok();
}

// The detached signature: the --signature file, else NAME.aci.asc beside
// the image (or where discovery said). nullopt when the server has none.
Result<std::optional<std::string>> fetchSignature(HttpClient& http, const AciFetchRequest& request,
                                                  const FetchOptions& options)
{
    if (!options.signaturePath.empty()) {
        BERTH_TRY(std::string data,
                  readFile(options.signaturePath, kMaxSignatureBytes).context("read signature"));
        return std::optional<std::string>(std::move(data));
    }
    std::string signatureUrl =
        request.signatureUrl.empty() ? request.url + ".asc" : request.signatureUrl;
    HttpRequest sigRequest;
    sigRequest.url = signatureUrl;
    sigRequest.maxResponseBytes = kMaxSignatureBytes;
    BERTH_TRY(HttpResponse sigResponse, http.send(sigRequest).context("fetch " + signatureUrl));
    if (sigResponse.status == 200) return std::optional<std::string>(std::move(sigResponse.body));
    logDebug("no signature at {} (HTTP {})", signatureUrl, sigResponse.status);
    return std::optional<std::string>();
}

// Before the download: refuses an unsigned image, and a signer that no
// trusted key could accept. With the name known (discovery), the keys for
// it apply; for a bare URL the name is in the manifest, inside the image,
// so here a signer trusted for some prefix passes and the full check after
// the download decides. This is no verification of the bytes.
Result<void> precheckSigner(const AciFetchRequest& request,
                            const std::optional<std::string>& signature)
{
    std::string name = request.expected ? request.expected->name : std::string();
    if (!signature) {
        std::string where =
            request.signatureUrl.empty() ? request.url + ".asc" : request.signatureUrl;
        if (!name.empty())
            return Error(describeVerdict(
                TrustVerdict::reject(TrustVerdict::Status::Unsigned, "", "none at " + where),
                name));
        return Error("the ACI at " + request.url + " has no signature (none at " + where +
                     "); ask its publisher for one and trust their key with 'berth trust "
                     "--prefix NAME KEYFILE' for the image's NAME, or accept it unsigned with "
                     "--insecure-options=image");
    }
    BERTH_TRY(TrustVerdict verdict, precheckAciSigner(name, *signature, TrustOptions{})
                                        .context("check the signer of " + request.url));
    if (verdict.ok()) return ok();
    if (name.empty()) {
        using S = TrustVerdict::Status;
        if (verdict.status == S::WrongPrefix) return ok(); // the manifest's name decides
        if (verdict.status == S::UntrustedKey)
            return Error("the ACI at " + request.url + " is signed by key " +
                         (verdict.fingerprint.empty() ? "(unknown)" : verdict.fingerprint) +
                         ", which is not trusted for any name; if you trust it, run 'berth "
                         "trust --prefix NAME KEYFILE' for the image's NAME; nothing was "
                         "downloaded");
        return Error(describeVerdict(verdict, request.url));
    }
    return Error(describeVerdict(verdict, name));
}

} // namespace

std::string signatureCacheKey(const std::string& imageId)
{
    return "signature:" + imageId;
}

Result<ImageRecord> fetchAci(Store& store, HttpClient& http, const AciFetchRequest& request,
                             const FetchOptions& options, Progress& progress)
{
    const std::string& url = request.url;
    BERTH_TRY(std::optional<RemoteCacheEntry> cached, cachedEntry(store, url));
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (cached && (options.pull != PullPolicy::Update || cached->isFresh(now))) {
        logDebug("{}: using {} from the store", url, cached->imageId);
        return storedById(store, cached->imageId);
    }
    if (options.pull == PullPolicy::Never)
        return Error("'" + url + "' is not in the store and --pull=never forbids fetching it");

    // The signature comes first: when it is missing, or its signer is not
    // trusted, the large download is not made at all.
    std::optional<std::string> signature;
    BERTH_TRY(signature, fetchSignature(http, request, options));
    if (!options.allowUnsigned) BERTH_CHECK(precheckSigner(request, signature));

    BERTH_TRY(std::string dir, store.makeTempDirectory("fetch-aci"));
    ScopeExit removeDir([&] { (void)removeTree(dir); });
    std::string acipath = dir + "/image.aci";
    BERTH_TRY(UniqueFd fd, openPath(acipath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    FileDownload download(fileNameOf(url), url, fd.get(), cached);
    DownloadHooks hooks;
    hooks.httpError = [&](long status, const std::string&, const std::string&) {
        std::string hint = status == 404   ? "no such image; check the URL"
                           : status == 401 ? "the server wants credentials"
                           : status == 403 ? "the server refuses access"
                                           : "the server failed; try again later";
        return Error("HTTP " + std::to_string(status) + ": " + hint);
    };
    std::vector<Download*> downloads{&download};
    BERTH_CHECK(
        runDownloadsInStage(store, http, downloads, hooks, progress, 1).context("fetch " + url));
    progress.close();
    if (download.wasNotModified()) {
        RemoteCacheEntry refreshed = download.cacheEntry(cached->imageId);
        if (refreshed.etag.empty()) refreshed.etag = cached->etag;
        if (refreshed.lastModified.empty()) refreshed.lastModified = cached->lastModified;
        BERTH_CHECK(store.index().putCache(remoteCacheKey(url), refreshed.toJson()));
        logDebug("{}: not modified; using {}", url, cached->imageId);
        return storedById(store, cached->imageId);
    }
    if (::fsync(fd.get()) < 0) return Error::fromErrno("fsync '" + acipath + "'");
    fd.reset();

    if (signature) BERTH_CHECK(writeFileAtomic(acipath + ".asc", *signature, 0600));

    if (request.expected) BERTH_CHECK(checkExpected(acipath, *request.expected, url));
    ImportOptions importOptions;
    importOptions.allowUnsigned = options.allowUnsigned;
    if (signature) importOptions.signaturePath = acipath + ".asc";
    if (!options.allowUnsigned) {
        // The bytes as fetched must carry a signature by a key trusted for
        // the name the manifest gives; a refusal stores nothing.
        BERTH_TRY(AciImageManifest manifest, readAciFileManifest(acipath));
        BERTH_TRY(UniqueFd aci, openPath(acipath, O_RDONLY));
        TrustVerdict verdict; // Unsigned, unless a signature was served
        if (signature) {
            BERTH_TRY(verdict,
                      verifyAciSignatureData(manifest.name, aci.get(), *signature, TrustOptions{})
                          .context("verify " + url));
        }
        if (!verdict.ok()) return Error(describeVerdict(verdict, manifest.name));
        importOptions.verifiedBy = verdict.fingerprint;
    }
    // Shared until the signature blob is named too (gc holds it exclusively);
    // importAciFile takes it shared again, which flock grants alongside.
    BERTH_TRY(FileLock storeLock, store.lock(FileLock::Mode::Shared));
    BERTH_TRY(ImageRecord record,
              importAciFile(store, acipath, importOptions).context("import " + url));
    record.source = url;
    BERTH_CHECK(store.index().putImage(record));
    if (signature) {
        BERTH_TRY(Digest sig, store.putBlob(*signature));
        BERTH_CHECK(store.index().putCache(signatureCacheKey(record.id), sig.str()));
    }
    if (!request.pubkeys.empty() && request.expected) {
        std::string keys;
        for (const auto& k : request.pubkeys)
            keys += (keys.empty() ? "" : "\n") + k;
        BERTH_CHECK(store.index().putCache("discovery-pubkeys:" + request.expected->name, keys));
    }
    BERTH_CHECK(
        store.index().putCache(remoteCacheKey(url), download.cacheEntry(record.id).toJson()));
    return record;
}

} // namespace berth
