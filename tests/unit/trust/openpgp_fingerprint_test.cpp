// Fingerprints computed from key packets must be the ones gpg prints: the
// per-run policy check compares them with what the verify stage recorded.
#include "test_keys.hpp"

#include <berth/trust/openpgp_fingerprint.hpp>
#include <doctest/doctest.h>

using namespace berth;

TEST_CASE("the primary fingerprint of armored keys is gpg's, subkeys left out")
{
    auto& keys = TestKeys::get();
    for (const char* name : {"good", "other", "subkey", "expired", "revoked"}) {
        CAPTURE(name);
        auto fprs = primaryKeyFingerprints(keys.armored(name));
        REQUIRE(fprs.size() == 1);
        CHECK(fprs[0] == keys.fingerprint(name));
    }
}

TEST_CASE("several keys in one file give each primary fingerprint")
{
    auto& keys = TestKeys::get();
    auto fprs = primaryKeyFingerprints(keys.armored("good") + "\n" + keys.armored("other"));
    REQUIRE(fprs.size() == 2);
    CHECK(fprs[0] == keys.fingerprint("good"));
    CHECK(fprs[1] == keys.fingerprint("other"));
}

TEST_CASE("data that is no key gives no fingerprint")
{
    CHECK(primaryKeyFingerprints("").empty());
    CHECK(primaryKeyFingerprints("hello").empty());
    CHECK(primaryKeyFingerprints("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n").empty());
    // A packet header claiming more bytes than there are.
    CHECK(primaryKeyFingerprints(std::string("\x99\xff\xff\x04", 4)).empty());
}
