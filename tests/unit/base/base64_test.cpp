#include <berth/base/base64.hpp>
#include <doctest/doctest.h>
#include <string>

using namespace berth;

TEST_CASE("base64 matches RFC 4648 test vectors and is strict")
{
    CHECK(encodeBase64("") == "");
    CHECK(encodeBase64("f") == "Zg==");
    CHECK(encodeBase64("fo") == "Zm8=");
    CHECK(encodeBase64("foo") == "Zm9v");
    CHECK(encodeBase64("foobar") == "Zm9vYmFy");
    CHECK(decodeBase64("Zm9vYg==").value() == "foob");
    CHECK(decodeBase64("Zm9vYmE=").value() == "fooba");
    CHECK(decodeBase64("").value().empty());
    CHECK_FALSE(decodeBase64("Zm9vYg"));     // no padding
    CHECK_FALSE(decodeBase64("Zm9v\nYmFy")); // whitespace
    CHECK_FALSE(decodeBase64("Zm9-"));       // URL-safe alphabet
    CHECK_FALSE(decodeBase64("Zh=="));       // non-canonical trailing bits
    CHECK_FALSE(decodeBase64("Z==="));
    CHECK_FALSE(decodeBase64("Zg==Zg==")); // padding in the middle
}

TEST_CASE("base64 round-trips every length")
{
    CHECK(encodeBase64("user:pa:ss") == "dXNlcjpwYTpzcw==");
    for (std::string s : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"),
                          std::string("abcd"), std::string("\xff\x00\x80", 3)}) {
        auto d = decodeBase64(encodeBase64(s));
        REQUIRE(d);
        CHECK(*d == s);
    }
    CHECK_FALSE(decodeBase64("!!!"));
}
