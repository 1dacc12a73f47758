#include <berth/store/digest.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <unistd.h>

using namespace berth;

TEST_CASE("Digest parses only ALGORITHM:HEX with the right length and lowercase hex")
{
    std::string hex(64, 'a');
    auto d = Digest::parse("sha256:" + hex);
    REQUIRE(d);
    CHECK(d->str() == "sha256:" + hex);
    CHECK(d->blobPath() == "sha256/" + hex);

    CHECK_FALSE(Digest::parse("sha256:" + std::string(63, 'a')));
    CHECK_FALSE(Digest::parse("sha256:" + std::string(64, 'A')));
    CHECK_FALSE(Digest::parse("md5:" + hex));
    CHECK_FALSE(Digest::parse(hex));
    CHECK_FALSE(Digest::parse("sha256:../../../../etc/passwd"));
    CHECK_FALSE(Digest::parse("sha256:" + std::string(62, 'a') + "/x"));
    CHECK_FALSE(Digest::parse(""));
}

TEST_CASE("appc image IDs use sha512- and 128 hex digits")
{
    std::string hex(128, '0');
    auto d = Digest::parseAppc("sha512-" + hex);
    REQUIRE(d);
    CHECK(d->appcStr() == "sha512-" + hex);
    CHECK(d->str() == "sha512:" + hex);
    CHECK_FALSE(Digest::parseAppc("sha512-" + hex.substr(1)));
}

TEST_CASE("Hasher matches known SHA-256 and SHA-512 values")
{
    CHECK(Hasher::hash(DigestAlgorithm::Sha256, "abc").hex() ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(Hasher::hash(DigestAlgorithm::Sha512, "").hex() ==
          "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
          "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    Hasher h(DigestAlgorithm::Sha256);
    h.update("a");
    h.update("bc");
    CHECK(h.finish() == Hasher::hash(DigestAlgorithm::Sha256, "abc"));
}

TEST_CASE("hashFile and streamed updates agree with coreutils' sha256sum and sha512sum")
{
    // Values from `head -c 3000000 /dev/zero | tr '\0' a | sha256sum` (and
    // sha512sum): more than one of hashFile's 1 MiB reads.
    char path[] = "/tmp/berth-digest-test-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    std::string chunk(1000000, 'a');
    for (int i = 0; i < 3; ++i)
        REQUIRE(::write(fd, chunk.data(), chunk.size()) == static_cast<ssize_t>(chunk.size()));
    CHECK(Hasher::hashFile(DigestAlgorithm::Sha256, fd)->hex() ==
          "2a152c894398719c0570f83fac34ac03a0f6e8e474b995c2403aa5434f7b9dd4");
    CHECK(Hasher::hashFile(DigestAlgorithm::Sha512, fd)->hex() ==
          "f14588966ba95f6af16b443f5681f5f568f8c4319a3f9dd63031e82662b9cda2"
          "5e6b118f9827a4a686bd30a5d44c6a3aa28b5aaed7a006bf4aad9430db8a337c");
    ::close(fd);
    ::unlink(path);

    Hasher h(DigestAlgorithm::Sha512);
    h.update("a");
    h.update("");
    h.update("bc");
    CHECK(h.finish().hex() == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                              "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}
