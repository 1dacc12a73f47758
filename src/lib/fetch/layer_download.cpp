#include <berth/base/log.hpp>
#include <berth/fetch/layer_download.hpp>
#include <berth/image/oci_layer_copy.hpp>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace berth
{

namespace
{

constexpr size_t kMagicBytes = 8;

} // namespace

Result<Digest> diffIdOfStoredBlob(Store& store, const Digest& blob)
{
    BERTH_TRY(UniqueFd fd, store.openBlob(blob));
    ChunkSource source = fdChunkSource(fd.get());
    Hasher hasher(DigestAlgorithm::Sha256);
    auto sink = [&](std::string_view plain) -> Result<void> {
        hasher.update(plain);
        return ok();
    };
    std::vector<char> buffer(1 << 20);
    std::unique_ptr<Decompressor> decompressor;
    while (true) {
        BERTH_TRY(size_t n, source(buffer.data(), buffer.size()));
        if (n == 0) break;
        std::string_view chunk(buffer.data(), n);
        if (!decompressor) decompressor = Decompressor::forStream(chunk);
        BERTH_CHECK(decompressor->feed(chunk, sink));
    }
    if (!decompressor) decompressor = Decompressor::forStream({});
    BERTH_CHECK(decompressor->finish());
    return hasher.finish();
}

LayerDownload::LayerDownload(Store& store, std::string label, std::string url, Digest digest,
                             int64_t size, std::string mediaType, std::optional<Digest> diffId,
                             DiffIdCheck diffIdCheck, uint64_t maxPlainBytes)
    : store_(store), label_(std::move(label)), url_(std::move(url)), digest_(std::move(digest)),
      size_(size), mediaType_(std::move(mediaType)), expectedDiffId_(std::move(diffId)),
      // Without a stated diff_id there is nothing for the unpacking to check.
      hashPlain_(diffIdCheck == DiffIdCheck::WhileDownloading || !expectedDiffId_),
      maxPlainBytes_(maxPlainBytes)
{
}

Result<DownloadStart> LayerDownload::begin()
{
    if (!lock_.isHeld()) {
        BERTH_TRY(lock_, BlobFetchLock::tryAcquire(store_.rootFd(), digest_).context(label_));
        if (!lock_.isHeld()) return DownloadStart::Wait;
    }
    // Whoever held the lock before us may have stored it meanwhile.
    // Verified: another member may have planted other bytes under the name.
    if (store_.hasVerifiedBlob(digest_)) {
        // A partial of a blob stored since (by a fetch that did not resume
        // it) is of no further use; the lock makes removing it safe.
        ::unlinkat(store_.rootFd(), PartialBlob::nameFor(digest_).c_str(), 0);
        if (!hashPlain_) {
            record_ = LayerRecord{digest_, *expectedDiffId_, mediaType_, size_};
            lock_.release();
            return DownloadStart::Skip;
        }
        BERTH_TRY(Digest diffId, diffIdOfStoredBlob(store_, digest_).context(label_));
        if (expectedDiffId_ && !(*expectedDiffId_ == diffId))
            return Error(label_ + ": diff_id mismatch: the config states " +
                         expectedDiffId_->str() + ", the stored layer hashes to " + diffId.str());
        record_ = LayerRecord{digest_, diffId, mediaType_, size_};
        lock_.release();
        return DownloadStart::Skip;
    }
    BERTH_TRY(PartialBlob partial,
              PartialBlob::open(store_.rootFd(), digest_, size_, store_.privateFd()));
    partial_.emplace(std::move(partial));
    resumeFrom_ = partial_->size();
    if (resumeFrom_ > 0) {
        logDebug("{}: {} bytes from an earlier fetch are in {}; resuming after them", label_,
                 resumeFrom_, PartialBlob::nameFor(digest_));
        BERTH_CHECK(partial_->replay([this](std::string_view bytes) -> Result<void> {
            digestPlain(bytes);
            return ok();
        }));
    }
    return DownloadStart::Go;
}

Result<void> LayerDownload::feed(std::string_view bytes)
{
    auto sink = [this](std::string_view plain) -> Result<void> {
        plainBytes_ += plain.size();
        if (plainBytes_ > maxPlainBytes_)
            return Error("inflates to more than the limit of " + std::to_string(maxPlainBytes_) +
                         " bytes for " + std::to_string(size_) +
                         " compressed bytes; refused as a decompression bomb: if the image is "
                         "trusted, raise the limit with --max-inflate-ratio or "
                         "BERTH_MAX_INFLATE_RATIO");
        diffHasher_.update(plain);
        return ok();
    };
    return decompressor_->feed(bytes, sink).context(label_);
}

void LayerDownload::digestPlain(std::string_view bytes)
{
    // A layer that does not decompress is still hashed to the end: when its
    // digest is wrong too, that is the error to report (corrupt transfer),
    // not the symptom.
    if (!hashPlain_ || plainError_) return;
    Result<void> fed = ok();
    if (decompressor_) {
        fed = feed(bytes);
    } else {
        // The compression is told by magic bytes, which may straddle chunks.
        head_.append(bytes);
        if (head_.size() < kMagicBytes) return;
        decompressor_ = Decompressor::forStream(head_);
        std::string head = std::move(head_);
        head_.clear();
        fed = feed(head);
    }
    if (!fed) plainError_ = std::move(fed).error();
}

Result<void> LayerDownload::write(std::string_view bytes)
{
    BERTH_CHECK(partial_->write(bytes).context(label_));
    digestPlain(bytes);
    return ok();
}

Result<void> LayerDownload::adoptAppended(std::string_view bytes)
{
    BERTH_CHECK(partial_->adopt(bytes).context(label_));
    digestPlain(bytes);
    return ok();
}

void LayerDownload::finishPlain()
{
    if (!plainError_ && !decompressor_) {
        decompressor_ = Decompressor::forStream(head_);
        auto fed = feed(head_);
        if (!fed) plainError_ = std::move(fed).error();
        head_.clear();
    }
    if (!plainError_) {
        auto finished = decompressor_->finish().context(label_);
        if (!finished) plainError_ = std::move(finished).error();
    }
}

Result<void> LayerDownload::finish()
{
    if (hashPlain_) finishPlain();
    // The blob digest decides which error the user sees; an authentic blob
    // that is no layer is not kept either.
    auto verified = partial_->verify();
    if (!verified) {
        resumedFailed_ = resumeFrom_ > 0;
        if (resumedFailed_ && !restarted_) {
            // discardResumed() will start over; keep the file and lock.
            BERTH_CHECK(partial_->restart());
        } else {
            partial_->discard();
        }
        std::string served = status_.empty() ? "" : " (served with " + status_ + ")";
        return Error(label_ + ": " + verified.error().message() + served +
                     "; refusing it: the registry or something between us altered the blob, "
                     "try again or tell the registry's operator");
    }
    if (plainError_) {
        partial_->discard();
        return std::move(*plainError_).addContext("the layer does not unpack");
    }
    Digest diffId = hashPlain_ ? diffHasher_.finish() : *expectedDiffId_;
    if (expectedDiffId_ && !(*expectedDiffId_ == diffId)) {
        partial_->discard();
        return Error(label_ + ": diff_id mismatch: the config states " + expectedDiffId_->str() +
                     ", the uncompressed layer hashes to " + diffId.str() +
                     "; the image is inconsistent, rebuild and push it again");
    }
    BERTH_CHECK(partial_->publish().context(label_));
    published_ = true;
    partial_.reset();
    record_ = LayerRecord{digest_, diffId, mediaType_, size_};
    lock_.release();
    return ok();
}

void LayerDownload::responseHeader(const std::string& name, const std::string& value)
{
    if (name != ":status") return;
    // "HTTP/1.1 200 OK" → "HTTP 200"
    auto space = value.find(' ');
    if (space == std::string::npos) return;
    std::string code = value.substr(space + 1, 3);
    status_ = "HTTP " + code;
}

bool LayerDownload::discardResumed()
{
    if (!resumedFailed_ || restarted_ || !partial_) return false;
    restarted_ = true;
    resumedFailed_ = false;
    resumeFrom_ = 0;
    diffHasher_ = Hasher(DigestAlgorithm::Sha256);
    plainBytes_ = 0;
    decompressor_.reset();
    head_.clear();
    plainError_.reset();
    return true;
}

} // namespace berth
