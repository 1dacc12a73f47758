#include "config.h"

#include <berth/render/layer_stream.hpp>
#include <cerrno>
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
    std::vector<uint8_t> out;

    std::optional<Hasher> blobHasher;
    std::optional<Hasher> diffHasher;
    uint64_t compressedBytes = 0;
    uint64_t uncompressedBytes = 0;

    // The current gzip member or zstd frame is complete (more may follow).
    bool frameDone = false;
    bool ended = false;

#if HAVE_ISAL
    std::unique_ptr<inflate_state> isal;
#else
    std::unique_ptr<z_stream> zlib;
#endif
    ZSTD_DStream* zstd = nullptr;

    ~State()
    {
#if !HAVE_ISAL
        if (zlib) inflateEnd(zlib.get());
#endif
        if (zstd) ZSTD_freeDStream(zstd);
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
                         std::to_string(expect.maxBytes) + " bytes");
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

    Result<size_t> inflateSome()
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
            BERTH_TRY(produced, decode());
            if (produced == 0 && !frameDone && atEnd)
                return Error(streamCompressionName(compression) +
                             " stream is truncated (ends before its last block)");
        }
        return produced;
    }

    Result<size_t> decode()
    {
        if (compression == StreamCompression::Zstd) {
            ZSTD_inBuffer input{in.data() + inPos, available(), 0};
            ZSTD_outBuffer output{out.data(), out.size(), 0};
            size_t r = ZSTD_decompressStream(zstd, &output, &input);
            if (ZSTD_isError(r)) return Error(std::string("zstd: ") + ZSTD_getErrorName(r));
            inPos += input.pos;
            if (r == 0) frameDone = true;
            return output.pos;
        }
#if HAVE_ISAL
        isal->next_in = in.data() + inPos;
        isal->avail_in = static_cast<uint32_t>(available());
        isal->next_out = out.data();
        isal->avail_out = static_cast<uint32_t>(out.size());
        int r = isal_inflate(isal.get());
        if (r < 0) return Error(std::string("gzip: ") + isalErrorName(r));
        inPos = inLen - isal->avail_in;
        if (isal->block_state == ISAL_BLOCK_FINISH) frameDone = true;
        return out.size() - isal->avail_out;
#else
        zlib->next_in = in.data() + inPos;
        zlib->avail_in = static_cast<uInt>(available());
        zlib->next_out = out.data();
        zlib->avail_out = static_cast<uInt>(out.size());
        int r = inflate(zlib.get(), Z_NO_FLUSH);
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
            return Error(std::string("gzip: ") + (zlib->msg ? zlib->msg : "corrupt data"));
        inPos = inLen - zlib->avail_in;
        if (r == Z_STREAM_END) frameDone = true;
        return out.size() - zlib->avail_out;
#endif
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
    if (!plain) state->out.resize(outputChunk);
    return LayerStream(std::move(state));
}

Result<std::span<const uint8_t>> LayerStream::next()
{
    State& s = *state_;
    if (s.ended) return std::span<const uint8_t>();
    if (s.compression == StreamCompression::Plain) {
        BERTH_CHECK(s.refill());
        if (s.available() == 0) {
            s.ended = true;
            return std::span<const uint8_t>();
        }
        std::span<const uint8_t> chunk(s.in.data() + s.inPos, s.available());
        s.inPos = s.inLen;
        BERTH_CHECK(s.account(chunk.data(), chunk.size()));
        return chunk;
    }
    BERTH_TRY(size_t produced, s.inflateSome());
    if (produced == 0) return std::span<const uint8_t>();
    BERTH_CHECK(s.account(s.out.data(), produced));
    return std::span<const uint8_t>(s.out.data(), produced);
}

Result<void> LayerStream::finish()
{
    for (;;) {
        BERTH_TRY(auto chunk, next());
        if (chunk.empty()) break;
    }
    State& s = *state_;
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
            return Error("diffId mismatch: uncompressed layer is " + diff.str() + ", expected " +
                         s.expect.diffId->str());
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
