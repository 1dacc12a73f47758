#include <berth/appc/pod_hmac.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("signatures are base64 HMAC-SHA512 (RFC 4231 test case 1)")
{
    auto key = PodHmacKey::fromBytes(std::string(20, '\x0b'));
    REQUIRE(key);
    CHECK(key->sign("Hi There") == "h6p83qXvYZ1P8LQkGh1ssCN59OLOTsJ4etCzBUXhfN7aqDO31rinAgOLJ06uo/"
                                   "Tkvp2RTuth8XAuaWwgOhJoVA==");
    CHECK_FALSE(PodHmacKey::fromBytes("Jefe")); // too short to be a pod key
}

TEST_CASE("a key longer than SHA-512's block is hashed first (RFC 4231 test case 6)")
{
    auto key = PodHmacKey::fromBytes(std::string(131, '\xaa'));
    REQUIRE(key);
    CHECK(
        key->sign("Test Using Larger Than Block-Size Key - Hash Key First") ==
        "gLJCY8fBo+u3FJPB3XvotJtG0fQbSu7BEhsBN4P481JrVtA34F8lmL0P0iFdah5SleZPc/Y/CuyLkVqYXXhlmA==");
}

TEST_CASE("a signature verifies, and any change to it, the content or the key fails")
{
    auto key = PodHmacKey::generate();
    REQUIRE(key);
    CHECK(key->bytes().size() == PodHmacKey::kKeyBytes);
    const std::string content = "Old MacDonald Had A Farm";
    std::string signature = key->sign(content);
    CHECK(signature.size() == 88); // 64 bytes in base64
    CHECK(key->verify(content, signature));
    CHECK(signature == key->sign(content)); // deterministic

    std::string tampered = signature;
    tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
    CHECK_FALSE(key->verify(content, tampered));
    CHECK_FALSE(key->verify(content + " ", signature));
    CHECK_FALSE(key->verify(content, signature.substr(0, 44)));
    CHECK_FALSE(key->verify(content, "not base64!"));
    CHECK_FALSE(key->verify(content, ""));

    auto other = PodHmacKey::generate();
    REQUIRE(other);
    CHECK(other->bytes() != key->bytes());
    CHECK_FALSE(other->verify(content, signature));
    auto copy = PodHmacKey::fromBytes(key->bytes());
    REQUIRE(copy);
    CHECK(copy->verify(content, signature));
}
