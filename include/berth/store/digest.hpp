#pragma once

#include <berth/base/result.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace berth
{

enum class DigestAlgorithm { Sha256, Sha512 };

// A validated content digest. Constructed only by parse() or a Hasher, so a
// Digest is always safe to use as a path component: `alg` is one we know and
// `hex` is lowercase hex of the right length.
class Digest
{
public:
    // "sha256:<64 hex>" or "sha512:<128 hex>" (OCI form).
    static Result<Digest> parse(std::string_view text);
    // "sha512-<128 hex>" (appc image ID form). Also accepts the OCI form.
    static Result<Digest> parseAppc(std::string_view text);

    DigestAlgorithm algorithm() const { return algorithm_; }
    const std::string& hex() const { return hex_; }
    std::string algorithmName() const;

    // "sha256:abc…"
    std::string str() const;
    // "sha512-abc…"
    std::string appcStr() const;
    // "sha256/abc…", the relative path of a blob in the store.
    std::string blobPath() const;

    bool operator==(const Digest&) const = default;

private:
    Digest(DigestAlgorithm algorithm, std::string hex);
    friend class Hasher;

    DigestAlgorithm algorithm_ = DigestAlgorithm::Sha256;
    std::string hex_;
};

// Streaming hash (OpenSSL's plain SHA functions: the front links this, and
// must not reach EVP).
class Hasher
{
public:
    explicit Hasher(DigestAlgorithm algorithm);
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    ~Hasher();

    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    Digest finish();

    static Digest hash(DigestAlgorithm algorithm, std::string_view data);
    // Hashes a whole file with pread(2), leaving its offset where it was.
    static Result<Digest> hashFile(DigestAlgorithm algorithm, int fd);

private:
    struct State;
    std::unique_ptr<State> state_;
    DigestAlgorithm algorithm_;
};

} // namespace berth
