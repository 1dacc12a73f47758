#pragma once

#include <berth/fetch/blob_fetch_lock.hpp>
#include <berth/fetch/parallel_download.hpp>
#include <berth/fetch/partial_blob.hpp>
#include <berth/image/image_record.hpp>
#include <berth/image/oci_decompressor.hpp>
#include <berth/store/store.hpp>
#include <memory>
#include <optional>
#include <string>

namespace berth
{

// Computes the diff_id of a blob already in the store by decompressing it,
// so that a layer skipped because another image brought it is recorded with
// a checked diff_id, not the one a config claims.
Result<Digest> diffIdOfStoredBlob(Store& store, const Digest& blob);

// A layer streamed from a registry into the store: the bytes go to the
// blob's PartialBlob (blob digest) and through the decompressor into
// SHA-256 (diff_id), both checked before the blob is published. begin()
// takes the blob's fetch lock without blocking; a blob already in the store
// (or put there by whoever held the lock) is skipped. Bytes an earlier,
// killed berth left in the partial are replayed through both hashes and the
// download resumes after them; if the whole then fails the digest, the
// partial is emptied and the blob downloaded again from the start, once.
//
// Decompressing stops with an error past `maxPlainBytes` (a decompression
// bomb is refused before it has cost much CPU).
//
// When the caller unpacks the layer before recording the image
// (DiffIdCheck::WhenUnpacked, see LayerUnpacking), the unpacking checks the
// diff_id and the download only hashes the compressed bytes.
class LayerDownload : public Download
{
public:
    enum class DiffIdCheck {
        WhileDownloading, // decompress and hash here
        WhenUnpacked,     // the config's diff_id is checked by the unpacking
    };

    LayerDownload(Store& store, std::string label, std::string url, Digest digest, int64_t size,
                  std::string mediaType, std::optional<Digest> diffId,
                  DiffIdCheck diffIdCheck = DiffIdCheck::WhileDownloading,
                  uint64_t maxPlainBytes = UINT64_MAX);

    std::string label() const override { return label_; }
    std::string url() const override { return url_; }
    int64_t expectedSize() const override { return size_; }
    Result<DownloadStart> begin() override;
    Result<void> write(std::string_view bytes) override;
    Result<void> finish() override;
    int64_t resumeFrom() const override { return resumeFrom_; }
    bool discardResumed() override;
    int stageAppendFd() const override { return partial_ ? partial_->fd() : -1; }
    Result<void> adoptAppended(std::string_view bytes) override;
    void responseHeader(const std::string& name, const std::string& value) override;

    // Set once finished or skipped.
    const std::optional<LayerRecord>& record() const { return record_; }
    // This download put the blob into the store (it was not there before).
    bool published() const { return published_; }

private:
    Result<void> feed(std::string_view plain);
    // The diff_id side of the bytes: decompress and hash, recording (not
    // returning) a failure to decompress.
    void digestPlain(std::string_view bytes);
    void finishPlain();

    Store& store_;
    std::string label_;
    std::string url_;
    Digest digest_;
    int64_t size_;
    std::string mediaType_;
    std::optional<Digest> expectedDiffId_;
    bool hashPlain_; // DiffIdCheck::WhileDownloading
    BlobFetchLock lock_;
    // Declared after the lock: destroyed (kept or removed) while it is held.
    std::optional<PartialBlob> partial_;
    int64_t resumeFrom_ = 0;
    bool resumedFailed_ = false; // the resumed bytes failed the digest
    bool restarted_ = false;     // and were discarded once already
    std::string status_;         // "HTTP 200" of the last answer, for errors
    Hasher diffHasher_{DigestAlgorithm::Sha256};
    std::unique_ptr<Decompressor> decompressor_;
    std::string head_; // the first bytes, until there are enough to tell the compression
    std::optional<Error> plainError_; // the layer did not decompress
    uint64_t maxPlainBytes_;
    uint64_t plainBytes_ = 0;
    bool published_ = false;
    std::optional<LayerRecord> record_;
};

} // namespace berth
