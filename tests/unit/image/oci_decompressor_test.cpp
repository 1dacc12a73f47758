#include <berth/image/oci_decompressor.hpp>
#include <doctest/doctest.h>
#include <string>
#include <zlib.h>
#include <zstd.h>

using namespace berth;

namespace
{

std::string gzip(const std::string& data)
{
    z_stream z{};
    REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, data.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string zstd(const std::string& data)
{
    std::string out(ZSTD_compressBound(data.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
    REQUIRE_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
}

// Feeds `stream` in small pieces, as a network or pipe would deliver it.
Result<std::string> decompress(const std::string& stream, size_t piece = 7)
{
    auto d = Decompressor::forStream(stream);
    std::string out;
    auto sink = [&](std::string_view plain) -> Result<void> {
        out.append(plain);
        return ok();
    };
    for (size_t i = 0; i < stream.size(); i += piece)
        BERTH_CHECK(d->feed(std::string_view(stream).substr(i, piece), sink));
    BERTH_CHECK(d->finish());
    return out;
}

std::string sample()
{
    std::string s;
    for (int i = 0; i < 20000; ++i)
        s += "line " + std::to_string(i) + "\n";
    return s;
}

} // namespace

TEST_CASE("gzip, zstd and plain streams are told apart by their magic and decompressed")
{
    std::string data = sample();
    CHECK(Decompressor::forStream(gzip(data))->compression() == LayerCompression::Gzip);
    CHECK(Decompressor::forStream(zstd(data))->compression() == LayerCompression::Zstd);
    CHECK(Decompressor::forStream(data)->compression() == LayerCompression::None);
    CHECK(*decompress(gzip(data)) == data);
    CHECK(*decompress(zstd(data)) == data);
    CHECK(*decompress(data) == data);
    CHECK(*decompress(gzip(data), 1 << 20) == data);
}

TEST_CASE("concatenated gzip members read as one stream, as gunzip does")
{
    CHECK(*decompress(gzip("first\n") + gzip("second\n")) == "first\nsecond\n");
}

TEST_CASE("truncated and corrupt streams are errors")
{
    std::string data = sample();
    std::string gz = gzip(data);
    auto truncated = decompress(gz.substr(0, gz.size() / 2));
    REQUIRE_FALSE(truncated);
    CHECK(truncated.error().message().find("truncated") != std::string::npos);
    std::string zs = zstd(data);
    auto truncatedZstd = decompress(zs.substr(0, zs.size() - 5));
    REQUIRE_FALSE(truncatedZstd);
    CHECK(truncatedZstd.error().message().find("zstd") != std::string::npos);
    std::string corrupt = gz;
    for (size_t i = 20; i < 60; ++i)
        corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
    CHECK_FALSE(decompress(corrupt));
}
