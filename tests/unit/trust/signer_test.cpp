#include "test_keys.hpp"

#include <berth/base/file.hpp>
#include <berth/trust/signer.hpp>
#include <berth/trust/verifier.hpp>
#include <doctest/doctest.h>
#include <fcntl.h>

using namespace berth;

TEST_CASE("a detached signature made with the user's GnuPG verifies with the public key")
{
    auto& keys = TestKeys::get();
    std::string home = keys.dir() + "/k/gnupg";
    std::string file = keys.tempDir("sign") + "/image.aci";
    REQUIRE(writeFileAtomic(file, "ACI bytes\n"));
    auto fd = openPath(file, O_RDONLY);
    REQUIRE(fd);
    auto signature = signDetached(fd->get(), keys.fingerprint("good"), home);
    if (!signature) FAIL(signature.error().message());
    CHECK(signature->find("BEGIN PGP SIGNATURE") != std::string::npos);
    auto verdict = verifyDetached(fd->get(), *signature, {keys.material("good")});
    REQUIRE(verdict);
    CHECK(verdict->ok());
}

TEST_CASE("a signed message made with the user's GnuPG carries its payload")
{
    auto& keys = TestKeys::get();
    std::string home = keys.dir() + "/k/gnupg";
    auto message = signMessage("{\"payload\":1}", keys.fingerprint("subkey"), home);
    if (!message) FAIL(message.error().message());
    auto verified = verifySignedMessage(*message, {keys.material("subkey")});
    REQUIRE(verified);
    CHECK(verified->verdict.ok());
    CHECK(verified->payload == "{\"payload\":1}");
}

TEST_CASE("signing needs exactly one usable secret key")
{
    auto& keys = TestKeys::get();
    std::string home = keys.dir() + "/k/gnupg";
    auto missing = signMessage("x", "0000000000000000000000000000000000000000", home);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("no secret key") != std::string::npos);
    auto ambiguous = signMessage("x", "example.com", home); // every test key's email
    REQUIRE_FALSE(ambiguous);
    CHECK(ambiguous.error().message().find("give the fingerprint") != std::string::npos);
    CHECK_FALSE(signMessage("x", keys.fingerprint("expired"), home));
}
