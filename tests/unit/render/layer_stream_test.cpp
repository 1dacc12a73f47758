#include "render_fixture.hpp"

#include <berth/render/layer_stream.hpp>

using namespace berth;
using namespace berth::test;

namespace
{

std::string sampleTar()
{
    std::string big;
    for (int i = 0; i < 200000; ++i)
        big += std::to_string(i) + ",";
    return TarBuilder().dir("etc").file("etc/data", big).finish();
}

Result<std::string> readAllOf(const std::string& blob, LayerStream::Expect expect,
                              StreamCompression* compression = nullptr)
{
    TempDir dir;
    REQUIRE(writeFileAtomic(dir / "blob", blob));
    BERTH_TRY(UniqueFd fd, openPath(dir / "blob", O_RDONLY));
    BERTH_TRY(LayerStream stream, LayerStream::open(std::move(fd), expect));
    if (compression) *compression = stream.compression();
    std::string out;
    // Read only half, as libarchive stops at the end-of-archive blocks:
    // finish() must still hash the rest.
    for (;;) {
        BERTH_TRY(auto chunk, stream.next());
        if (chunk.empty()) break;
        out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
        if (out.size() > 100000) break;
    }
    BERTH_CHECK(stream.finish());
    return out;
}

LayerStream::Expect expectFor(const std::string& blob, const std::string& tar)
{
    LayerStream::Expect e;
    e.blob = Hasher::hash(DigestAlgorithm::Sha256, blob);
    e.diffId = Hasher::hash(DigestAlgorithm::Sha256, tar);
    return e;
}

} // namespace

TEST_CASE("gzip, zstd and plain layers are detected by magic and verified in one pass")
{
    std::string tar = sampleTar();
    for (auto [blob, kind] : {std::pair{fixtures::gzipBytes(tar), StreamCompression::Gzip},
                              std::pair{fixtures::zstdBytes(tar), StreamCompression::Zstd},
                              std::pair{tar, StreamCompression::Plain}}) {
        StreamCompression seen;
        auto out = readAllOf(blob, expectFor(blob, tar), &seen);
        REQUIRE_MESSAGE(out, out.error().message());
        CHECK(seen == kind);
        CHECK(tar.starts_with(*out));
    }
}

TEST_CASE("a concatenated (multi-member) gzip stream is read whole")
{
    std::string tar = sampleTar();
    std::string blob =
        fixtures::gzipBytes(tar.substr(0, 4096)) + fixtures::gzipBytes(tar.substr(4096));
    auto out = readAllOf(blob, expectFor(blob, tar));
    REQUIRE_MESSAGE(out, out.error().message());
}

TEST_CASE("digest mismatches are found even when the reader stopped early")
{
    std::string tar = sampleTar();
    std::string blob = fixtures::gzipBytes(tar);
    auto wrongDiff = expectFor(blob, tar + "x");
    auto out = readAllOf(blob, wrongDiff);
    REQUIRE_FALSE(out);
    CHECK(out.error().message().find("diffId mismatch") != std::string::npos);

    auto wrongBlob = expectFor(blob + "x", tar);
    out = readAllOf(blob, wrongBlob);
    REQUIRE_FALSE(out);
    CHECK(out.error().message().find("blob digest mismatch") != std::string::npos);

    // Plain ACI-style: one sha512 over the same bytes serves both digests.
    LayerStream::Expect aci;
    aci.blob = Hasher::hash(DigestAlgorithm::Sha512, tar);
    aci.diffId = aci.blob;
    CHECK(readAllOf(tar, aci));
    aci.diffId = Hasher::hash(DigestAlgorithm::Sha512, tar + "x");
    CHECK_FALSE(readAllOf(tar, aci));
}

TEST_CASE("truncated and trailing-garbage streams are refused")
{
    std::string tar = sampleTar();
    std::string gz = fixtures::gzipBytes(tar);
    auto out = readAllOf(gz.substr(0, gz.size() / 2), {});
    REQUIRE_FALSE(out);
    CHECK(out.error().message().find("truncated") != std::string::npos);

    out = readAllOf(gz.substr(0, gz.size() - 4), {}); // trailer cut
    CHECK_FALSE(out);

    out = readAllOf(gz + "garbage", {});
    REQUIRE_FALSE(out);
    CHECK(out.error().message().find("trailing garbage") != std::string::npos);

    CHECK(readAllOf(gz + std::string(1024, '\0'), {})); // zero padding is fine

    std::string zst = fixtures::zstdBytes(tar);
    out = readAllOf(zst.substr(0, zst.size() - 5), {});
    REQUIRE_FALSE(out);
    CHECK(out.error().message().find("truncated") != std::string::npos);
}

TEST_CASE("the uncompressed size limit stops a decompression bomb")
{
    std::string zeros(64 << 20, '\0');
    std::string gz = fixtures::gzipBytes(zeros);
    LayerStream::Expect e;
    e.maxBytes = 1 << 20;
    auto out = readAllOf(gz, e);
    REQUIRE_FALSE(out);
    CHECK(out.error().message().find("larger than the limit") != std::string::npos);
}

TEST_CASE("output the decoder holds back at the end of input is still delivered")
{
    // 16 MiB of zeros compress to a few KiB: all input is read long before
    // the last output is handed out.
    std::string tar = TarBuilder().file("zeros", std::string(16 << 20, '\0')).finish();
    for (const auto& blob : {fixtures::gzipBytes(tar), fixtures::zstdBytes(tar)}) {
        auto out = readAllOf(blob, expectFor(blob, tar));
        REQUIRE_MESSAGE(out, out.error().message());
    }
}
