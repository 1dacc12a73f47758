#include "test_keys.hpp"

#include <berth/base/file.hpp>
#include <berth/trust/public_key.hpp>
#include <berth/trust/verifier.hpp>
#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

using namespace berth;
using Status = TrustVerdict::Status;

namespace
{

const std::string kImage = "pretend this is an ACI: a tar with a manifest and a rootfs\n";

TrustVerdict check(const std::string& signature, const std::vector<KeyMaterial>& keys,
                   const std::string& data = kImage)
{
    auto verdict = verifyDetached(std::string_view(data), signature, keys);
    if (!verdict) FAIL(verdict.error().message());
    return *verdict;
}

int countEntries(const std::string& dir)
{
    int n = 0;
    DIR* d = ::opendir(dir.c_str());
    REQUIRE(d);
    while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
    ::closedir(d);
    return n;
}

} // namespace

TEST_CASE("a good signature by a trusted key is accepted, naming the key")
{
    auto& keys = TestKeys::get();
    std::string sig = keys.sign("good", "detach", kImage);
    TrustVerdict verdict = check(sig, {keys.material("good")});
    CHECK(verdict.ok());
    CHECK(verdict.fingerprint == keys.fingerprint("good"));
    // Other trusted keys alongside do not change that.
    CHECK(check(sig, {keys.material("other"), keys.material("good")}).ok());
}

TEST_CASE("the signed bytes are read from an fd, from its start")
{
    auto& keys = TestKeys::get();
    std::string dir = keys.tempDir("fd");
    REQUIRE(writeFileAtomic(dir + "/image.aci", kImage));
    auto fd = openPath(dir + "/image.aci", O_RDONLY);
    REQUIRE(fd);
    char skip[5];
    REQUIRE(::read(fd->get(), skip, sizeof skip) == 5); // the caller sniffed the header
    auto verdict =
        verifyDetached(fd->get(), keys.sign("good", "detach", kImage), {keys.material("good")});
    REQUIRE(verdict);
    CHECK(verdict->ok());
}

TEST_CASE("tampered bytes or a tampered signature are a bad signature")
{
    auto& keys = TestKeys::get();
    std::string sig = keys.sign("good", "detach", kImage);
    TrustVerdict tamperedImage = check(sig, {keys.material("good")}, kImage + "extra");
    CHECK(tamperedImage.status == Status::BadSignature);
    CHECK(tamperedImage.fingerprint == keys.fingerprint("good"));

    CHECK(check("not a signature at all", {keys.material("good")}).status == Status::BadSignature);
    CHECK(check("", {keys.material("good")}).status == Status::BadSignature);
    // An armored block whose body is damaged.
    std::string damaged = sig;
    damaged[damaged.find('\n', damaged.find("\n\n") + 2) - 3] ^= 0x01;
    CHECK(check(damaged, {keys.material("good")}).status == Status::BadSignature);
}

TEST_CASE("a signature by a key that is not among the trusted ones is refused")
{
    auto& keys = TestKeys::get();
    std::string sig = keys.sign("other", "detach", kImage);
    TrustVerdict verdict = check(sig, {keys.material("good")});
    CHECK(verdict.status == Status::UntrustedKey);
    CHECK(verdict.fingerprint == keys.fingerprint("other"));
    CHECK(check(sig, {}).status == Status::UntrustedKey);
}

TEST_CASE("a key file holding a different key than its name trusts nothing")
{
    auto& keys = TestKeys::get();
    std::string sig = keys.sign("other", "detach", kImage);
    // Filed under good's fingerprint, but the file holds other's key.
    KeyMaterial mislabelled{keys.fingerprint("good"), keys.armored("other")};
    CHECK(check(sig, {mislabelled}).status == Status::UntrustedKey);
}

TEST_CASE("a signing subkey counts for its trusted primary key")
{
    auto& keys = TestKeys::get();
    std::string sig = keys.sign("subkey", "detach", kImage);
    TrustVerdict verdict = check(sig, {keys.material("subkey")});
    CHECK(verdict.ok());
    CHECK(verdict.fingerprint == keys.fingerprint("subkey")); // the primary, as trusted
}

TEST_CASE("an expired key is refused even though its signature was good when made")
{
    auto& keys = TestKeys::get();
    TrustVerdict verdict =
        check(keys.sign("expired", "detach", kImage), {keys.material("expired")});
    CHECK(verdict.status == Status::KeyExpired);
    CHECK(verdict.fingerprint == keys.fingerprint("expired"));
}

TEST_CASE("a revoked key is refused")
{
    auto& keys = TestKeys::get();
    TrustVerdict verdict =
        check(keys.sign("revoked", "detach", kImage), {keys.material("revoked")});
    CHECK(verdict.status == Status::KeyRevoked);
    CHECK(verdict.fingerprint == keys.fingerprint("revoked"));
}

TEST_CASE("a signed message gives its payload only once verified")
{
    auto& keys = TestKeys::get();
    std::string payload = R"({"critical":{}})";
    std::string message = keys.sign("good", "message", payload);

    auto good = verifySignedMessage(message, {keys.material("good")});
    REQUIRE(good);
    CHECK(good->verdict.ok());
    CHECK(good->payload == payload);

    auto untrusted = verifySignedMessage(message, {keys.material("other")});
    REQUIRE(untrusted);
    CHECK(untrusted->verdict.status == Status::UntrustedKey);
    CHECK(untrusted->payload.empty());

    auto tooBig = verifySignedMessage(message, {keys.material("good")}, 4);
    REQUIRE(tooBig);
    CHECK(tooBig->verdict.status == Status::InvalidPayload);
    CHECK(tooBig->payload.empty());

    std::string tampered = message;
    tampered[tampered.size() / 2] ^= 0x20; // gpg compresses: flip a bit somewhere inside
    auto bad = verifySignedMessage(tampered, {keys.material("good")});
    REQUIRE(bad);
    CHECK_FALSE(bad->verdict.ok());
    CHECK(bad->payload.empty());

    // A detached signature is no signed message.
    auto detached =
        verifySignedMessage(keys.sign("good", "detach", payload), {keys.material("good")});
    REQUIRE(detached);
    CHECK_FALSE(detached->verdict.ok());
    CHECK(detached->payload.empty());
}

TEST_CASE("verification leaves no temporary GnuPG home behind")
{
    auto& keys = TestKeys::get();
    std::string scratch = keys.tempDir("scratch");
    std::string sig = keys.sign("good", "detach", kImage);
    auto verdict = verifyDetached(std::string_view(kImage), sig, {keys.material("good")}, scratch);
    REQUIRE(verdict);
    CHECK(verdict->ok());
    CHECK(countEntries(scratch) == 0);
}

TEST_CASE("key files are read for review: fingerprint, user ids, state")
{
    auto& keys = TestKeys::get();
    auto good = readPublicKeys(keys.armored("good"));
    REQUIRE(good);
    REQUIRE(good->size() == 1);
    CHECK(good->at(0).fingerprint == keys.fingerprint("good"));
    CHECK(good->at(0).userIds == std::vector<std::string>{"Good Signer <good@example.com>"});
    CHECK(good->at(0).canSign);
    CHECK_FALSE(good->at(0).expired);
    CHECK(good->at(0).armored.find("BEGIN PGP PUBLIC KEY BLOCK") != std::string::npos);

    auto both = readPublicKeys(keys.armored("good") + keys.armored("other"));
    REQUIRE(both);
    CHECK(both->size() == 2);

    CHECK(readPublicKeys(keys.armored("expired"))->at(0).expired);
    CHECK(readPublicKeys(keys.armored("revoked"))->at(0).revoked);
    CHECK_FALSE(readPublicKeys("hello"));
}
