#include "test_keys.hpp"

#include <berth/base/file.hpp>
#include <berth/trust/image_verification.hpp>
#include <berth/trust/simple_signing.hpp>
#include <doctest/doctest.h>
#include <fcntl.h>

using namespace berth;
using Status = TrustVerdict::Status;

namespace
{

struct Fixture {
    TestKeys& keys = TestKeys::get();
    std::string dir = keys.tempDir("images");
    TrustOptions options;
    Keyring keyring{KeyringPaths{}};
    std::string aciPath = dir + "/app.aci";
    std::string aci = "ACI bytes: a tar holding manifest and rootfs\n";

    Fixture()
    {
        options.keyrings = {dir + "/vendor", dir + "/system", dir + "/user"};
        options.scratchDir = keys.tempDir("scratch");
        options.containersPolicy = dir + "/no-policy.json"; // not the machine's
        keyring = Keyring(options.keyrings);
        REQUIRE(writeFileAtomic(aciPath, aci));
    }

    void trust(const std::string& name, const KeyScope& scope)
    {
        REQUIRE(keyring.add(KeyStore::User, scope, keys.fingerprint(name), keys.armored(name)));
    }

    TrustVerdict aciVerdict(const std::string& imageName, const std::string& signer)
    {
        std::string sigPath = aciPath + ".asc";
        REQUIRE(writeFileAtomic(sigPath, keys.sign(signer, "detach", aci)));
        auto fd = openPath(aciPath, O_RDONLY);
        REQUIRE(fd);
        auto verdict = verifyAciSignature(imageName, fd->get(), sigPath, options);
        if (!verdict) FAIL(verdict.error().message());
        return *verdict;
    }

    std::string simpleSignature(const std::string& signer, const Digest& digest,
                                const std::string& reference)
    {
        return keys.sign(signer, "message",
                         makeSimpleSigningPayload(digest, reference, "test", 1700000000));
    }

    TrustVerdict ociVerdict(const std::string& reference, const Digest& digest,
                            const std::vector<std::string>& signatures)
    {
        auto verdict = verifyOciSimpleSigning(reference, digest, signatures, options);
        if (!verdict) FAIL(verdict.error().message());
        return *verdict;
    }
};

Digest digestOf(const std::string& text)
{
    return Hasher::hash(DigestAlgorithm::Sha256, text);
}

} // namespace

TEST_CASE("ACI: a signature by a key trusted for the name, a parent prefix or root is accepted")
{
    Fixture f;
    f.trust("good", KeyScope::forPrefix("example.com/app"));
    TrustVerdict exact = f.aciVerdict("example.com/app", "good");
    CHECK(exact.ok());
    CHECK(exact.fingerprint == f.keys.fingerprint("good"));
    CHECK(f.aciVerdict("example.com/app/worker", "good").ok()); // parent prefix

    f.trust("other", KeyScope::root());
    CHECK(f.aciVerdict("anything.org/x", "other").ok());
}

TEST_CASE("ACI: unsigned, untrusted, wrong prefix, tampered, expired and revoked are refused")
{
    Fixture f;
    f.trust("good", KeyScope::forPrefix("example.com/app"));
    f.trust("expired", KeyScope::forPrefix("example.com/app"));
    f.trust("revoked", KeyScope::forPrefix("example.com/app"));

    auto fd = openPath(f.aciPath, O_RDONLY);
    REQUIRE(fd);
    auto unsignedVerdict =
        verifyAciSignature("example.com/app", fd->get(), f.dir + "/missing.asc", f.options);
    REQUIRE(unsignedVerdict);
    CHECK(unsignedVerdict->status == Status::Unsigned);
    CHECK(describeVerdict(*unsignedVerdict, "example.com/app").find("--insecure-options=image") !=
          std::string::npos);

    TrustVerdict untrusted = f.aciVerdict("example.com/app", "other");
    CHECK(untrusted.status == Status::UntrustedKey);
    CHECK(untrusted.fingerprint == f.keys.fingerprint("other"));

    TrustVerdict wrongPrefix = f.aciVerdict("example.com/application", "good");
    CHECK(wrongPrefix.status == Status::WrongPrefix);
    CHECK(wrongPrefix.detail == "prefix 'example.com/app'");
    CHECK(describeVerdict(wrongPrefix, "example.com/application")
              .find("trusted only for prefix 'example.com/app'") != std::string::npos);

    CHECK(f.aciVerdict("example.com/app", "expired").status == Status::KeyExpired);
    CHECK(f.aciVerdict("example.com/app", "revoked").status == Status::KeyRevoked);

    std::string sig = f.keys.sign("good", "detach", f.aci);
    REQUIRE(writeFileAtomic(f.aciPath, f.aci + "tampered"));
    auto tampered = verifyAciSignatureData("example.com/app", openPath(f.aciPath, O_RDONLY)->get(),
                                           sig, f.options);
    REQUIRE(tampered);
    CHECK(tampered->status == Status::BadSignature);
}

TEST_CASE("ACI: a key removed after verification is no longer trusted at run time")
{
    Fixture f;
    f.trust("good", KeyScope::forPrefix("example.com"));
    TrustVerdict verdict = f.aciVerdict("example.com/app", "good");
    REQUIRE(verdict.ok());
    CHECK(checkStillTrusted("example.com/app", verdict.fingerprint, f.options.keyrings));
    REQUIRE(f.keyring.remove(KeyStore::User, verdict.fingerprint, KeyScope::anywhere()));
    auto after = checkStillTrusted("example.com/app", verdict.fingerprint, f.options.keyrings);
    REQUIRE_FALSE(after);
    CHECK(after.error().message().find("no longer trusted") != std::string::npos);
}

TEST_CASE("OCI: a simple-signing signature for this manifest and reference is accepted")
{
    Fixture f;
    f.trust("good", KeyScope::forPrefix("127.0.0.1:5000/team"));
    Digest manifest = digestOf("manifest");
    std::string ref = "127.0.0.1:5000/team/app:v1";
    TrustVerdict verdict =
        f.ociVerdict("docker://" + ref, manifest, {f.simpleSignature("good", manifest, ref)});
    CHECK(verdict.ok());
    CHECK(verdict.fingerprint == f.keys.fingerprint("good"));

    // Pulled by digest: any tag of the same repository in the claim will do.
    CHECK(f.ociVerdict("127.0.0.1:5000/team/app@" + manifest.str(), manifest,
                       {f.simpleSignature("good", manifest, ref)})
              .ok());
    // One good signature among bad ones is enough.
    CHECK(f.ociVerdict(ref, manifest,
                       {f.simpleSignature("other", manifest, ref), "garbage",
                        f.simpleSignature("good", manifest, ref)})
              .ok());
}

TEST_CASE("OCI: digest and reference mismatches, untrusted and revoked signers are refused")
{
    Fixture f;
    f.trust("good", KeyScope::forPrefix("127.0.0.1:5000/team/app"));
    f.trust("revoked", KeyScope::forPrefix("127.0.0.1:5000/team/app"));
    Digest manifest = digestOf("manifest");
    Digest otherManifest = digestOf("another manifest");
    std::string ref = "127.0.0.1:5000/team/app:v1";

    CHECK(f.ociVerdict(ref, manifest, {}).status == Status::Unsigned);

    TrustVerdict digestMismatch =
        f.ociVerdict(ref, manifest, {f.simpleSignature("good", otherManifest, ref)});
    CHECK(digestMismatch.status == Status::DigestMismatch);
    CHECK(digestMismatch.detail.find(otherManifest.str()) != std::string::npos);

    CHECK(f.ociVerdict(ref, manifest,
                       {f.simpleSignature("good", manifest, "127.0.0.1:5000/team/app:v2")})
              .status == Status::ReferenceMismatch);
    CHECK(f.ociVerdict("127.0.0.1:5000/team/app/sub:v1", manifest,
                       {f.simpleSignature("good", manifest, ref)})
              .status == Status::ReferenceMismatch);

    CHECK(f.ociVerdict(ref, manifest, {f.simpleSignature("other", manifest, ref)}).status ==
          Status::UntrustedKey);
    CHECK(f.ociVerdict(ref, manifest, {f.simpleSignature("revoked", manifest, ref)}).status ==
          Status::KeyRevoked);
    CHECK(f.ociVerdict("127.0.0.1:5000/team/other:v1", manifest,
                       {f.simpleSignature("good", manifest, "127.0.0.1:5000/team/other:v1")})
              .status == Status::WrongPrefix);

    // A trusted signer's claim with an unknown critical field is refused.
    std::string payload = makeSimpleSigningPayload(manifest, ref, "t", 1);
    payload.replace(payload.find("\"identity\""), 0, "\"expires\":0,");
    CHECK(f.ociVerdict(ref, manifest, {f.keys.sign("good", "message", payload)}).status ==
          Status::InvalidPayload);
}

TEST_CASE("OCI: the trust name of a docker reference is its repository")
{
    CHECK(*trustNameForDockerReference("docker://127.0.0.1:5000/a/b:1") == "127.0.0.1:5000/a/b");
    CHECK(*trustNameForDockerReference("busybox") == "docker.io/library/busybox");
}

TEST_CASE("ACI: the signer is known from the signature alone, before any download")
{
    Fixture f;
    f.trust("good", KeyScope::forPrefix("example.com/app"));
    f.trust("revoked", KeyScope::root());
    auto precheck = [&](const std::string& name, const std::string& signer) {
        auto verdict = precheckAciSigner(name, f.keys.sign(signer, "detach", f.aci), f.options);
        if (!verdict) FAIL(verdict.error().message());
        return *verdict;
    };
    TrustVerdict good = precheck("example.com/app", "good");
    CHECK(good.ok());
    CHECK(good.fingerprint == f.keys.fingerprint("good"));
    CHECK(precheck("example.com/app", "other").status == Status::UntrustedKey);
    CHECK(precheck("example.com/other", "good").status == Status::WrongPrefix);
    CHECK(precheck("example.com/app", "revoked").status == Status::KeyRevoked);
    CHECK(precheckAciSigner("example.com/app", "junk", f.options)->status == Status::BadSignature);
}

TEST_CASE("OCI: a containers policy.json signedBy key adds trust for its scope only")
{
    Fixture f;
    Digest manifest = digestOf("manifest");
    std::string ref = "127.0.0.1:5000/team/app:v1";
    std::string signature = f.simpleSignature("other", manifest, ref);
    CHECK(f.ociVerdict(ref, manifest, {signature}).status == Status::UntrustedKey);

    REQUIRE(writeFileAtomic(f.dir + "/other.asc", f.keys.armored("other")));
    f.options.containersPolicy = f.dir + "/policy.json";
    REQUIRE(writeFileAtomic(f.options.containersPolicy, R"({
        "default": [{"type": "insecureAcceptAnything"}],
        "transports": {"docker": {
            "127.0.0.1:5000/team": [{"type": "signedBy", "keyType": "GPGKeys",
                                     "keyPath": ")" + f.dir +
                                                            R"(/other.asc"}],
            "127.0.0.1:5000/team/special": [{"type": "insecureAcceptAnything"}]
        }}})"));
    TrustVerdict verdict = f.ociVerdict(ref, manifest, {signature});
    CHECK(verdict.ok());
    CHECK(verdict.fingerprint == f.keys.fingerprint("other"));

    // insecureAcceptAnything lowers nothing, and another scope gets no keys.
    CHECK(f.ociVerdict("127.0.0.1:5000/team/special:v1", manifest, {}).status == Status::Unsigned);
    std::string elsewhere = "127.0.0.1:5000/other/app:v1";
    CHECK_FALSE(
        f.ociVerdict(elsewhere, manifest, {f.simpleSignature("other", manifest, elsewhere)}).ok());
}
