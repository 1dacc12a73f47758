// Cross-checks with skopeo (Debian's package): a simple-signing signature
// skopeo makes verifies in berth, and one berth makes verifies in skopeo.
// Skipped, saying so, where skopeo is not installed.
#include "test_keys.hpp"

#include <berth/base/child_process.hpp>
#include <berth/base/file.hpp>
#include <berth/trust/image_verification.hpp>
#include <berth/trust/signer.hpp>
#include <berth/trust/simple_signing.hpp>
#include <cctype>
#include <doctest/doctest.h>

using namespace berth;

namespace
{

bool haveSkopeo()
{
    auto status = runProgram({"sh", "-c", "command -v skopeo >/dev/null"});
    if (!status || *status != 0) {
        MESSAGE("skipped: skopeo is not installed (apt-get install skopeo)");
        return false;
    }
    return true;
}

const std::string kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, '1') + R"(","size":2},"layers":[]})";

const std::string kReference = "registry.example.com/team/app:v1";

} // namespace

TEST_CASE("a signature made by skopeo standalone-sign verifies in berth")
{
    if (!haveSkopeo()) return;
    auto& keys = TestKeys::get();
    std::string dir = keys.tempDir("skopeo");
    REQUIRE(writeFileAtomic(dir + "/manifest.json", kManifest));
    auto status = runProgram({"env", "GNUPGHOME=" + keys.dir() + "/k/gnupg", "skopeo",
                              "standalone-sign", dir + "/manifest.json", kReference,
                              keys.fingerprint("good"), "--output", dir + "/signature-1"});
    REQUIRE(status);
    REQUIRE(*status == 0);

    TrustOptions options;
    options.keyrings = {dir + "/vendor", dir + "/system", dir + "/user"};
    REQUIRE(Keyring(options.keyrings)
                .add(KeyStore::User, KeyScope::forPrefix("registry.example.com/team"),
                     keys.fingerprint("good"), keys.armored("good")));
    Digest manifest = Hasher::hash(DigestAlgorithm::Sha256, kManifest);
    auto verdict =
        verifyOciSimpleSigning(kReference, manifest, {*readFile(dir + "/signature-1")}, options);
    REQUIRE(verdict);
    CHECK(verdict->ok());
    CHECK(verdict->fingerprint == keys.fingerprint("good"));
}

TEST_CASE("a signature made by berth verifies in skopeo standalone-verify")
{
    if (!haveSkopeo()) return;
    auto& keys = TestKeys::get();
    std::string dir = keys.tempDir("skopeo");
    REQUIRE(writeFileAtomic(dir + "/manifest.json", kManifest));
    Digest manifest = Hasher::hash(DigestAlgorithm::Sha256, kManifest);
    auto signature =
        signMessage(makeSimpleSigningPayload(manifest, kReference, "berth test", 1700000000),
                    keys.fingerprint("good"), keys.dir() + "/k/gnupg");
    REQUIRE(signature);
    REQUIRE(writeFileAtomic(dir + "/signature-1", *signature));
    // skopeo compares the fingerprint as gpg prints it, in uppercase.
    std::string fpr = keys.fingerprint("good");
    for (char& c : fpr)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string output;
    auto status =
        runProgram({"env", "GNUPGHOME=" + keys.dir() + "/k/gnupg", "skopeo", "standalone-verify",
                    dir + "/manifest.json", kReference, fpr, dir + "/signature-1"},
                   &output);
    REQUIRE(status);
    CHECK(*status == 0);
    CHECK(output.find("Signature verified") != std::string::npos);
}
