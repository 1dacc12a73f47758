// OpenSSL's SHA-2 context functions, deprecated in 3.0 in favour of EVP.
// EVP fetches the algorithm from a provider, and the first fetch in a
// process builds OpenSSL's whole name map from every legacy cipher and
// digest name (and exit frees it): about half a millisecond of a warm run,
// which hashes two small blobs. These run the same assembly without a
// provider.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <berth/base/hex.hpp>
#include <berth/store/digest.hpp>
#include <cerrno>
#include <openssl/sha.h>
#include <unistd.h>

namespace berth
{

namespace
{

bool isLowerHex(std::string_view s)
{
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string quoted(std::string_view text)
{
    // Never echo an unbounded attacker string into an error line.
    std::string shown(text.substr(0, 80));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return "'" + shown + (text.size() > 80 ? "…'" : "'");
}

} // namespace

Digest::Digest(DigestAlgorithm algorithm, std::string hex)
    : algorithm_(algorithm), hex_(std::move(hex))
{
}

Result<Digest> Digest::parse(std::string_view text)
{
    auto colon = text.find(':');
    if (colon == std::string_view::npos)
        return Error("invalid digest " + quoted(text) + ": expected ALGORITHM:HEX");
    std::string_view alg = text.substr(0, colon);
    std::string_view hex = text.substr(colon + 1);
    DigestAlgorithm algorithm;
    size_t length;
    if (alg == "sha256") {
        algorithm = DigestAlgorithm::Sha256;
        length = 64;
    } else if (alg == "sha512") {
        algorithm = DigestAlgorithm::Sha512;
        length = 128;
    } else {
        return Error("invalid digest " + quoted(text) + ": unsupported algorithm");
    }
    if (hex.size() != length || !isLowerHex(hex))
        return Error("invalid digest " + quoted(text) + ": expected " + std::to_string(length) +
                     " lowercase hex digits");
    return Digest(algorithm, std::string(hex));
}

Result<Digest> Digest::parseAppc(std::string_view text)
{
    if (text.starts_with("sha512-")) {
        std::string oci = "sha512:" + std::string(text.substr(7));
        return parse(oci);
    }
    return parse(text);
}

std::string Digest::algorithmName() const
{
    return algorithm_ == DigestAlgorithm::Sha256 ? "sha256" : "sha512";
}

std::string Digest::str() const
{
    return algorithmName() + ":" + hex_;
}

std::string Digest::appcStr() const
{
    return algorithmName() + "-" + hex_;
}

std::string Digest::blobPath() const
{
    return algorithmName() + "/" + hex_;
}

struct Hasher::State {
    SHA256_CTX sha256;
    SHA512_CTX sha512;
};

Hasher::Hasher(DigestAlgorithm algorithm) : state_(std::make_unique<State>()), algorithm_(algorithm)
{
    if (algorithm == DigestAlgorithm::Sha256)
        SHA256_Init(&state_->sha256);
    else
        SHA512_Init(&state_->sha512);
}

Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::update(const void* data, size_t size)
{
    if (algorithm_ == DigestAlgorithm::Sha256)
        SHA256_Update(&state_->sha256, data, size);
    else
        SHA512_Update(&state_->sha512, data, size);
}

Digest Hasher::finish()
{
    unsigned char md[SHA512_DIGEST_LENGTH];
    unsigned int length = 0;
    if (algorithm_ == DigestAlgorithm::Sha256) {
        SHA256_Final(md, &state_->sha256);
        length = SHA256_DIGEST_LENGTH;
    } else {
        SHA512_Final(md, &state_->sha512);
        length = SHA512_DIGEST_LENGTH;
    }
    return Digest(algorithm_, hexEncode(md, length));
}

Digest Hasher::hash(DigestAlgorithm algorithm, std::string_view data)
{
    Hasher h(algorithm);
    h.update(data);
    return h.finish();
}

Result<Digest> Hasher::hashFile(DigestAlgorithm algorithm, int fd)
{
    Hasher h(algorithm);
    std::string buffer(1 << 20, '\0');
    off_t offset = 0;
    for (;;) {
        ssize_t n = ::pread(fd, buffer.data(), buffer.size(), offset);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("read");
        }
        if (n == 0) break;
        h.update(buffer.data(), static_cast<size_t>(n));
        offset += n;
    }
    return h.finish();
}

} // namespace berth
