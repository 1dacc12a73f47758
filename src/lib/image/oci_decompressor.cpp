#include "config.h"

#include <berth/image/oci_decompressor.hpp>

#if HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif
#include <vector>
#include <zstd.h>

namespace berth
{

namespace
{

constexpr size_t kOutputChunk = 256 << 10;

class PlainStream final : public Decompressor
{
public:
    Result<void> feed(std::string_view input, const Sink& sink) override { return sink(input); }
    Result<void> finish() override { return ok(); }
    LayerCompression compression() const override { return LayerCompression::None; }
};

#if HAVE_ISAL
// ISA-L's igzip inflates about four times faster than zlib (measured on a Debian layer: 0.23 s
// against 1.00 s).
class GzipStream final : public Decompressor
{
public:
    GzipStream() : out_(kOutputChunk) { reset(); }

    Result<void> feed(std::string_view input, const Sink& sink) override
    {
        state_.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(input.data()));
        state_.avail_in = static_cast<uint32_t>(input.size());
        while (state_.avail_in > 0 || state_.block_state != ISAL_BLOCK_FINISH) {
            if (state_.block_state == ISAL_BLOCK_FINISH) {
                // Concatenated gzip members (pigz, appended streams) form one
                // stream, as gunzip reads them.
                uint8_t* next = state_.next_in;
                uint32_t avail = state_.avail_in;
                reset();
                state_.next_in = next;
                state_.avail_in = avail;
            }
            state_.next_out = out_.data();
            state_.avail_out = static_cast<uint32_t>(out_.size());
            int rc = isal_inflate(&state_);
            if (rc < 0)
                return Error("corrupt gzip stream (igzip error " + std::to_string(rc) + ")");
            size_t produced = out_.size() - state_.avail_out;
            if (produced > 0)
                BERTH_CHECK(sink(std::string_view(reinterpret_cast<char*>(out_.data()), produced)));
            if (produced == 0 && state_.avail_in == 0) break;
        }
        return ok();
    }

    Result<void> finish() override
    {
        if (state_.block_state != ISAL_BLOCK_FINISH) return Error("truncated gzip stream");
        return ok();
    }
    LayerCompression compression() const override { return LayerCompression::Gzip; }

private:
    void reset()
    {
        isal_inflate_init(&state_);
        state_.crc_flag = ISAL_GZIP;
    }
    inflate_state state_;
    std::vector<uint8_t> out_;
};
#else
class GzipStream final : public Decompressor
{
public:
    GzipStream() : out_(kOutputChunk)
    {
        // 16 + MAX_WBITS: expect a gzip wrapper.
        inflateInit2(&z_, 16 + MAX_WBITS);
    }
    ~GzipStream() override { inflateEnd(&z_); }

    Result<void> feed(std::string_view input, const Sink& sink) override
    {
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
        z_.avail_in = static_cast<uInt>(input.size());
        while (z_.avail_in > 0) {
            if (ended_) {
                // Concatenated gzip members form one stream.
                inflateReset(&z_);
                ended_ = false;
            }
            z_.next_out = out_.data();
            z_.avail_out = static_cast<uInt>(out_.size());
            int rc = inflate(&z_, Z_NO_FLUSH);
            if (rc == Z_STREAM_END)
                ended_ = true;
            else if (rc != Z_OK && rc != Z_BUF_ERROR)
                return Error(std::string("corrupt gzip stream: ") +
                             (z_.msg ? z_.msg : "zlib error"));
            size_t produced = out_.size() - z_.avail_out;
            if (produced > 0)
                BERTH_CHECK(sink(std::string_view(reinterpret_cast<char*>(out_.data()), produced)));
            else if (rc == Z_BUF_ERROR)
                break;
        }
        return ok();
    }
    Result<void> finish() override
    {
        if (!ended_) return Error("truncated gzip stream");
        return ok();
    }
    LayerCompression compression() const override { return LayerCompression::Gzip; }

private:
    z_stream z_{};
    std::vector<Bytef> out_;
    bool ended_ = false;
};
#endif

class ZstdStream final : public Decompressor
{
public:
    ZstdStream() : ctx_(ZSTD_createDStream()), out_(ZSTD_DStreamOutSize()) {}
    ~ZstdStream() override { ZSTD_freeDStream(ctx_); }

    Result<void> feed(std::string_view input, const Sink& sink) override
    {
        ZSTD_inBuffer in{input.data(), input.size(), 0};
        while (true) {
            ZSTD_outBuffer out{out_.data(), out_.size(), 0};
            size_t rc = ZSTD_decompressStream(ctx_, &out, &in);
            if (ZSTD_isError(rc))
                return Error(std::string("corrupt zstd stream: ") + ZSTD_getErrorName(rc));
            pending_ = rc != 0;
            if (out.pos > 0) BERTH_CHECK(sink(std::string_view(out_.data(), out.pos)));
            // Done with this input once it is consumed and the output
            // buffer was not filled (nothing more is buffered inside).
            if (in.pos == in.size && out.pos < out.size) break;
        }
        return ok();
    }
    Result<void> finish() override
    {
        if (pending_) return Error("truncated zstd stream");
        return ok();
    }
    LayerCompression compression() const override { return LayerCompression::Zstd; }

private:
    ZSTD_DStream* ctx_;
    std::vector<char> out_;
    bool pending_ = true;
};

} // namespace

std::unique_ptr<Decompressor> Decompressor::forStream(std::string_view head)
{
    auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
    if (starts("\x1f\x8b")) return std::make_unique<GzipStream>();
    if (starts("\x28\xb5\x2f\xfd")) return std::make_unique<ZstdStream>();
    return std::make_unique<PlainStream>();
}

} // namespace berth
