#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>

namespace berth
{

// The pod's HMAC key (appc identity endpoint): random per pod, known only to
// the berth process running the pod (and, if the run engine stores it, its
// pod directory, readable by the user alone). Signatures are HMAC-SHA512,
// base64-encoded, as the appc spec requires.
class PodHmacKey
{
public:
    static constexpr size_t kKeyBytes = 64; // SHA-512's block is 128; 64 gives 512 bits

    // A fresh key from getrandom(2).
    static Result<PodHmacKey> generate();
    // A key read back (e.g. from another pod's directory, to verify its
    // signatures); at least 16 bytes.
    static Result<PodHmacKey> fromBytes(std::string_view bytes);

    PodHmacKey(PodHmacKey&&) noexcept = default;
    PodHmacKey& operator=(PodHmacKey&&) noexcept = default;
    PodHmacKey(const PodHmacKey&) = default;
    PodHmacKey& operator=(const PodHmacKey&) = default;
    // Wipes the key bytes.
    ~PodHmacKey();

    // base64(HMAC-SHA512(key, content)).
    std::string sign(std::string_view content) const;
    // True when `signatureBase64` is sign(content); compared in constant
    // time. Malformed base64 is simply false.
    bool verify(std::string_view content, std::string_view signatureBase64) const;

    const std::string& bytes() const { return key_; }

private:
    explicit PodHmacKey(std::string key) : key_(std::move(key)) {}
    std::string key_;
};

// The key's file in a pod directory. It lives as long as the pod does and
// goes with the directory when the pod is removed.
inline constexpr const char* kPodHmacKeyFile = "hmac-key";

// Keeps `key` in podDir/hmac-key, mode 0600 (the user alone may read it),
// written through a temporary file so that a reader never sees part of it.
Result<void> savePodHmacKey(const std::string& podDir, const PodHmacKey& key);
// Reads a key saved by savePodHmacKey; refuses a file that is not a regular
// file of the caller's with mode 0600, as a key others could read (or have
// written) proves nothing.
Result<PodHmacKey> loadPodHmacKey(const std::string& podDir);

} // namespace berth
