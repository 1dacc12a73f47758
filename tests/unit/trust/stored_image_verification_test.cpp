// Signatures kept in the index cache must come back byte for byte: they
// are binary OpenPGP messages that `berth image verify` checks again.
#include <berth/trust/stored_image_verification.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("stored signatures survive encoding, binary bytes and the index included")
{
    StoredSignatures stored;
    stored.reference = "registry.example:5000/team/app:1.0";
    stored.signatures = {std::string("\x00\xff\x90\x0d\n", 5), "second"};
    stored.signedDigest = "sha256:" + std::string(64, 'a');
    stored.index = R"({"schemaVersion":2,"manifests":[]})";
    auto decoded = decodeStoredSignatures(encodeStoredSignatures(stored));
    REQUIRE(decoded);
    CHECK(decoded->reference == stored.reference);
    CHECK(decoded->signatures == stored.signatures);
    CHECK(decoded->signedDigest == stored.signedDigest);
    CHECK(decoded->index == stored.index);
}

TEST_CASE("a damaged stored record is an error, not an empty signature list")
{
    CHECK(!decodeStoredSignatures("not json"));
    CHECK(!decodeStoredSignatures(R"({"reference":"a/b:c","signedDigest":"x"})"));
    CHECK(
        !decodeStoredSignatures(R"({"reference":"a/b:c","signedDigest":"x","signatures":["zz"]})"));
    CHECK(!decodeStoredSignatures(
        R"({"reference":"a/b:c","signedDigest":"x","signatures":["abc"]})"));
}
