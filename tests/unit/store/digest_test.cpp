#include <berth/store/digest.hpp>

#include <doctest/doctest.h>

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
