#include <berth/image/oci_decompressor.hpp>
#include <berth/image/oci_layer_copy.hpp>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

namespace berth
{

namespace
{

constexpr size_t kChunkSize = 1 << 20;
constexpr size_t kMaxQueued = 4;

// Decompresses and hashes the layer (its diff_id) on a second thread while
// the calling thread reads, hashes and writes the blob: the two SHA-256s and
// the inflate are the bulk of an import, and a layer is one long stream.
class DiffIdWorker
{
public:
    DiffIdWorker() : hasher_(DigestAlgorithm::Sha256), thread_([this] { run(); }) {}
    ~DiffIdWorker()
    {
        if (thread_.joinable()) {
            close();
            thread_.join();
        }
    }

    // A buffer to fill: one the worker is done with, or a new one.
    std::vector<char> takeBuffer()
    {
        std::lock_guard lock(mutex_);
        if (free_.empty()) return std::vector<char>(kChunkSize);
        std::vector<char> b = std::move(free_.back());
        free_.pop_back();
        b.resize(kChunkSize);
        return b;
    }

    void push(std::vector<char> chunk)
    {
        std::unique_lock lock(mutex_);
        spaceFree_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
        queue_.push_back(std::move(chunk));
        dataReady_.notify_one();
    }

    // Ends the stream; returns the diff_id or the stream's error.
    Result<Digest> finish()
    {
        close();
        thread_.join();
        if (error_) return *error_;
        return hasher_.finish();
    }

private:
    void close()
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        dataReady_.notify_one();
    }

    void run()
    {
        std::unique_ptr<Decompressor> decompressor;
        auto sink = [this](std::string_view plain) -> Result<void> {
            hasher_.update(plain);
            return ok();
        };
        while (true) {
            std::vector<char> chunk;
            {
                std::unique_lock lock(mutex_);
                dataReady_.wait(lock, [this] { return !queue_.empty() || closed_; });
                if (queue_.empty()) break;
                chunk = std::move(queue_.front());
                queue_.pop_front();
                spaceFree_.notify_one();
            }
            std::string_view data(chunk.data(), chunk.size());
            // The first chunk holds any magic we look for, unless the whole
            // stream is shorter.
            if (!decompressor) decompressor = Decompressor::forStream(data);
            // After an error the rest is drained unread: the caller still
            // hashes the blob to report a digest mismatch first.
            if (!error_) {
                if (auto fed = decompressor->feed(data, sink); !fed)
                    error_ = std::move(fed).error();
            }
            std::lock_guard lock(mutex_);
            free_.push_back(std::move(chunk));
        }
        if (!decompressor) decompressor = Decompressor::forStream({});
        if (!error_) {
            if (auto done = decompressor->finish(); !done) error_ = std::move(done).error();
        }
    }

    std::mutex mutex_;
    std::condition_variable dataReady_;
    std::condition_variable spaceFree_;
    std::deque<std::vector<char>> queue_;
    std::vector<std::vector<char>> free_;
    bool closed_ = false;
    // Touched only by the worker until join().
    std::optional<Error> error_;
    Hasher hasher_;
    std::thread thread_;
};

} // namespace

ChunkSource fdChunkSource(int fd)
{
    return [fd](char* buffer, size_t capacity) -> Result<size_t> {
        while (true) {
            ssize_t n = ::read(fd, buffer, capacity);
            if (n >= 0) return static_cast<size_t>(n);
            if (errno != EINTR) return Error::fromErrno("read");
        }
    };
}

Result<LayerRecord> copyLayerToStore(Store& store, const ChunkSource& source,
                                     const LayerCopyRequest& request)
{
    DigestAlgorithm algorithm = request.digest ? request.digest->algorithm() : request.algorithm;
    BERTH_TRY(BlobWriter writer, store.newBlob(algorithm));
    DiffIdWorker worker;
    uint64_t total = 0;
    while (true) {
        std::vector<char> buffer = worker.takeBuffer();
        BERTH_TRY(size_t n, source(buffer.data(), buffer.size()).context(request.what));
        if (n == 0) break;
        total += n;
        // Stop a blob that is longer than announced before it fills the disk.
        if (request.size >= 0 && total > static_cast<uint64_t>(request.size))
            return Error(request.what + ": size mismatch: larger than the " +
                         std::to_string(request.size) + " bytes its descriptor states");
        buffer.resize(n);
        BERTH_CHECK(writer.write(buffer.data(), n).context(request.what));
        worker.push(std::move(buffer));
    }
    auto diffId = worker.finish();
    if (!diffId) {
        // A tampered blob usually breaks the compression too; the digest
        // says what happened more plainly, so check it first.
        if (request.digest)
            BERTH_CHECK(writer.commit(request.digest, request.size).context(request.what));
        return std::move(diffId).error().addContext(request.what);
    }
    if (request.size >= 0 && total != static_cast<uint64_t>(request.size))
        return Error(request.what + ": size mismatch: expected " + std::to_string(request.size) +
                     " bytes, got " + std::to_string(total));
    if (request.diffId && !(*request.diffId == *diffId))
        return Error(request.what + ": diff_id mismatch: the config states " +
                     request.diffId->str() + ", the uncompressed layer hashes to " + diffId->str());
    BERTH_TRY(Digest blob, writer.commit(request.digest, request.size).context(request.what));
    return LayerRecord{blob, *diffId, request.mediaType, static_cast<int64_t>(total)};
}

} // namespace berth
