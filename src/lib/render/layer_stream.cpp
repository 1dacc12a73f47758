#include "config.h"

#include <array>
#include <atomic>
#include <berth/render/layer_stream.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>
#include <zstd.h>

#if HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

namespace berth
{

namespace
{

constexpr size_t inputChunk = 1 << 20;
constexpr size_t outputChunk = 1 << 20;
// Chunks in flight between the decoding thread and the reader: one lent to
// the reader, the others filled ahead of it.
constexpr size_t chunkCount = 4;

#if HAVE_ISAL
const char* isalErrorName(int code)
{
    switch (code) {
    case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
        return "invalid lookback distance";
    case ISAL_INVALID_WRAPPER:
        return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
        return "unsupported gzip method";
    case ISAL_INCORRECT_CHECKSUM:
        return "gzip checksum mismatch";
    default:
        return "corrupt gzip data";
    }
}
#endif

} // namespace

std::string streamCompressionName(StreamCompression compression)
{
    switch (compression) {
    case StreamCompression::Gzip:
        return "gzip";
    case StreamCompression::Zstd:
        return "zstd";
    case StreamCompression::Plain:
        break;
    }
    return "plain";
}

struct LayerStream::State {
    UniqueFd fd;
    Expect expect;
    StreamCompression compression = StreamCompression::Plain;

    std::vector<uint8_t> in = std::vector<uint8_t>(inputChunk);
    size_t inPos = 0;
    size_t inLen = 0;
    bool inEof = false;

    std::optional<Hasher> blobHasher;
    std::optional<Hasher> diffHasher;
    uint64_t compressedBytes = 0;
    std::atomic<uint64_t> uncompressedBytes = 0;

    // The current gzip member or zstd frame is complete (more may follow).
    bool frameDone = false;
    bool ended = false;

#if HAVE_ISAL
    std::unique_ptr<inflate_state> isal;
#else
    std::unique_ptr<z_stream> zlib;
#endif
    ZSTD_DStream* zstd = nullptr;

    // Reading, both digests and inflating run on `worker`, ahead of the
    // reader, which spends its time in the file system: on two cores the
    // two halves overlap. Everything above is the worker's alone until it
    // has been joined; the fields below are shared under `mutex`.
    struct Filled {
        size_t index;
        size_t size; // 0: the end of the stream
    };
    std::array<std::vector<uint8_t>, chunkCount> chunks;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<size_t> empty;
    std::deque<Filled> filled;
    std::optional<Error> failure; // the worker's; it stops after one
    bool stopping = false;
    std::thread worker;
    // The reader's side.
    std::optional<size_t> lent;
    bool delivered = false; // the end or an error was handed out

    ~State()
    {
        stopWorker();
#if !HAVE_ISAL
        if (zlib) inflateEnd(zlib.get());
#endif
        if (zstd) ZSTD_freeDStream(zstd);
    }

    void stopWorker()
    {
        if (!worker.joinable()) return;
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        changed.notify_all();
        worker.join();
    }

    size_t available() const
    {
        return inLen - inPos;
    }

    Result<void> refill()
    {
        if (inPos < inLen || inEof) return ok();
        for (;;) {
            ssize_t n = ::read(fd.get(), in.data(), in.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                return Error::fromErrno("read layer blob");
            }
            inPos = 0;
            inLen = static_cast<size_t>(n);
            if (n == 0) {
                inEof = true;
                return ok();
            }
            compressedBytes += static_cast<uint64_t>(n);
            if (blobHasher) blobHasher->update(in.data(), inLen);
            return ok();
        }
    }

    Result<void> account(const uint8_t* data, size_t size)
    {
        uncompressedBytes += size;
        if (uncompressedBytes > expect.maxBytes)
            return Error("uncompressed layer is larger than the limit of " +
                         std::to_string(expect.maxBytes) + " bytes" + expect.maxBytesWhy);
        if (diffHasher) diffHasher->update(data, size);
        return ok();
    }

    Result<void> startFrame()
    {
        frameDone = false;
        if (compression == StreamCompression::Zstd) {
            ZSTD_initDStream(zstd);
            return ok();
        }
#if HAVE_ISAL
        isal_inflate_reset(isal.get());
        isal->crc_flag = ISAL_GZIP;
#else
        if (inflateReset(zlib.get()) != Z_OK) return Error("reset zlib");
#endif
        return ok();
    }

    // After one gzip member or zstd frame: another may follow (pigz and
    // zstd --patch write several); zero padding is tolerated; anything
    // else is refused as trailing garbage.
    Result<bool> nextFrame()
    {
        for (;;) {
            BERTH_CHECK(refill());
            if (available() == 0) return false;
            uint8_t c = in[inPos];
            if (c == 0) {
                while (inPos < inLen && in[inPos] == 0)
                    ++inPos;
                continue;
            }
            bool magic = compression == StreamCompression::Gzip ? c == 0x1f : c == 0x28;
            if (!magic)
                return Error(streamCompressionName(compression) +
                             " stream has trailing garbage after its end");
            BERTH_CHECK(startFrame());
            return true;
        }
    }

    Result<size_t> inflateSome(uint8_t* out, size_t capacity)
    {
        size_t produced = 0;
        while (produced == 0) {
            if (frameDone) {
                BERTH_TRY(bool more, nextFrame());
                if (!more) {
                    ended = true;
                    return size_t{0};
                }
            }
            BERTH_CHECK(refill());
            // At the end of input the decoder may still hold output it had
            // no room for: it is asked once more with no input.
            bool atEnd = available() == 0 && inEof;
            BERTH_TRY(produced, decode(out, capacity));
            if (produced == 0 && !frameDone && atEnd)
                return Error(streamCompressionName(compression) +
                             " stream is truncated (ends before its last block)");
        }
        return produced;
    }

    Result<size_t> decode(uint8_t* out, size_t capacity)
    {
        if (compression == StreamCompression::Zstd) {
            ZSTD_inBuffer input{in.data() + inPos, available(), 0};
            ZSTD_outBuffer output{out, capacity, 0};
            size_t r = ZSTD_decompressStream(zstd, &output, &input);
            if (ZSTD_isError(r)) return Error(std::string("zstd: ") + ZSTD_getErrorName(r));
            inPos += input.pos;
            if (r == 0) frameDone = true;
            return output.pos;
        }
#if HAVE_ISAL
        isal->next_in = in.data() + inPos;
        isal->avail_in = static_cast<uint32_t>(available());
        isal->next_out = out;
        isal->avail_out = static_cast<uint32_t>(capacity);
        int r = isal_inflate(isal.get());
        if (r < 0) return Error(std::string("gzip: ") + isalErrorName(r));
        inPos = inLen - isal->avail_in;
        if (isal->block_state == ISAL_BLOCK_FINISH) frameDone = true;
        return capacity - isal->avail_out;
#else
        zlib->next_in = in.data() + inPos;
        zlib->avail_in = static_cast<uInt>(available());
        zlib->next_out = out;
        zlib->avail_out = static_cast<uInt>(capacity);
        int r = inflate(zlib.get(), Z_NO_FLUSH);
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
            return Error(std::string("gzip: ") + (zlib->msg ? zlib->msg : "corrupt data"));
        inPos = inLen - zlib->avail_in;
        if (r == Z_STREAM_END) frameDone = true;
        return capacity - zlib->avail_out;
#endif
    }

    // A plain stream is read straight into the chunk; only the bytes read
    // by open() to find the magic are copied.
    Result<size_t> readPlain(std::vector<uint8_t>& chunk)
    {
        if (size_t n = available()) {
            std::memcpy(chunk.data(), in.data() + inPos, n);
            inPos = inLen;
            return n;
        }
        while (!inEof) {
            ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                return Error::fromErrno("read layer blob");
            }
            if (n == 0) {
                inEof = true;
                break;
            }
            compressedBytes += static_cast<uint64_t>(n);
            if (blobHasher) blobHasher->update(chunk.data(), static_cast<size_t>(n));
            return static_cast<size_t>(n);
        }
        return size_t{0};
    }

    // Fills `chunk` with the next bytes of the tar stream, hashed and
    // counted; 0 at its end.
    Result<size_t> produce(std::vector<uint8_t>& chunk)
    {
        if (ended) return size_t{0};
        size_t produced = 0;
        if (compression == StreamCompression::Plain) {
            BERTH_TRY(produced, readPlain(chunk));
        } else {
            BERTH_TRY(produced, inflateSome(chunk.data(), chunk.size()));
        }
        if (produced == 0) {
            ended = true;
            return size_t{0};
        }
        BERTH_CHECK(account(chunk.data(), produced));
        return produced;
    }

    // The worker: fills empty chunks until the end, an error, or until the
    // reader goes away.
    void work()
    {
        for (;;) {
            size_t index;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] { return stopping || !empty.empty(); });
                if (stopping) return;
                index = empty.front();
                empty.pop_front();
            }
            auto produced = produce(chunks[index]);
            bool last = !produced || *produced == 0;
            {
                std::lock_guard lock(mutex);
                if (produced)
                    filled.push_back({index, *produced});
                else
                    failure = std::move(produced).error();
            }
            changed.notify_all();
            if (last) return;
        }
    }

    void startWorker()
    {
        size_t size = compression == StreamCompression::Plain ? inputChunk : outputChunk;
        for (size_t i = 0; i < chunkCount; ++i) {
            chunks[i].resize(size);
            empty.push_back(i);
        }
        try {
            worker = std::thread([this] { work(); });
        } catch (const std::system_error&) {
            // No thread (a sandbox that refuses clone): next() decodes
            // in the reader instead, one chunk at a time.
        }
    }

    // The next filled chunk for the reader; the one lent before goes back
    // to the worker. After the end or an error, the same answer again.
    Result<std::span<const uint8_t>> take()
    {
        if (delivered) {
            if (failure) return *failure;
            return std::span<const uint8_t>();
        }
        if (!worker.joinable()) {
            auto produced = produce(chunks[0]);
            if (!produced) {
                delivered = true;
                failure = produced.error();
                return *failure;
            }
            if (*produced == 0) delivered = true;
            return std::span<const uint8_t>(chunks[0].data(), *produced);
        }
        {
            std::lock_guard lock(mutex);
            if (lent) empty.push_back(*lent);
            lent.reset();
        }
        changed.notify_all();
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return !filled.empty() || failure; });
        if (filled.empty()) {
            delivered = true;
            return *failure;
        }
        Filled next = filled.front();
        filled.pop_front();
        if (next.size == 0) {
            delivered = true;
            empty.push_back(next.index);
            return std::span<const uint8_t>();
        }
        lent = next.index;
        return std::span<const uint8_t>(chunks[next.index].data(), next.size);
    }
};

LayerStream::LayerStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
LayerStream::LayerStream(LayerStream&&) noexcept = default;
LayerStream& LayerStream::operator=(LayerStream&&) noexcept = default;
LayerStream::~LayerStream() = default;

Result<LayerStream> LayerStream::open(UniqueFd blobFd, const Expect& expect)
{
    auto state = std::make_unique<State>();
    state->fd = std::move(blobFd);
    state->expect = expect;
    if (expect.blob) state->blobHasher.emplace(expect.blob->algorithm());
    BERTH_CHECK(state->refill());
    const uint8_t* head = state->in.data();
    size_t n = state->inLen;
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        state->compression = StreamCompression::Gzip;
    else if (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
        state->compression = StreamCompression::Zstd;

    bool plain = state->compression == StreamCompression::Plain;
    // A plain blob's digest is its diffId's when the algorithms agree (ACI
    // images, uncompressed OCI layers): hash the bytes once.
    bool sameBytes = plain && expect.blob && expect.diffId &&
                     expect.blob->algorithm() == expect.diffId->algorithm();
    if (expect.diffId && !sameBytes) state->diffHasher.emplace(expect.diffId->algorithm());

    if (state->compression == StreamCompression::Zstd) {
        state->zstd = ZSTD_createDStream();
        if (!state->zstd) return Error("zstd: cannot allocate a decoder");
        ZSTD_initDStream(state->zstd);
    } else if (state->compression == StreamCompression::Gzip) {
#if HAVE_ISAL
        state->isal = std::make_unique<inflate_state>();
        isal_inflate_init(state->isal.get());
        state->isal->crc_flag = ISAL_GZIP;
#else
        state->zlib = std::make_unique<z_stream>();
        if (inflateInit2(state->zlib.get(), 16 + MAX_WBITS) != Z_OK)
            return Error("zlib: cannot allocate a decoder");
#endif
    }
    state->startWorker();
    return LayerStream(std::move(state));
}

Result<std::span<const uint8_t>> LayerStream::next()
{
    return state_->take();
}

Result<void> LayerStream::finish()
{
    for (;;) {
        BERTH_TRY(auto chunk, next());
        if (chunk.empty()) break;
    }
    State& s = *state_;
    s.stopWorker(); // done already; joined so that its hashers are ours
    std::optional<Digest> blob;
    if (s.blobHasher) {
        blob = s.blobHasher->finish();
        if (*blob != *s.expect.blob)
            return Error("blob digest mismatch: content is " + blob->str() + ", expected " +
                         s.expect.blob->str());
    }
    if (s.expect.diffId) {
        Digest diff = s.diffHasher ? s.diffHasher->finish() : *blob;
        if (diff != *s.expect.diffId)
            return Error("diffId mismatch: the config states " + s.expect.diffId->str() +
                         ", the uncompressed layer hashes to " + diff.str() +
                         "; the image is inconsistent, rebuild it and fetch it again");
    }
    return ok();
}

StreamCompression LayerStream::compression() const
{
    return state_->compression;
}

uint64_t LayerStream::uncompressedBytes() const
{
    return state_->uncompressedBytes;
}

} // namespace berth
