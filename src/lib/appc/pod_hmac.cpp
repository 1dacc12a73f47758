// SHA512_* are deprecated in OpenSSL 3 for EVP, which is what this file
// must not use (see hmacSha512).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <berth/appc/pod_hmac.hpp>
#include <berth/base/base64.hpp>
#include <berth/base/file.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

// HMAC as RFC 2104 defines it, H((K ^ opad) || H((K ^ ipad) || content)),
// on OpenSSL's plain SHA-512 functions. Its HMAC() would do the same
// through EVP and the provider machinery, and linking that into the front
// (which runs appc pods too) brought a third of a megabyte of tables that
// every warm run relocated. Every call has its own state, so the metadata
// server's thread may sign while the main thread does.
std::string hmacSha512(const std::string& key, std::string_view content)
{
    constexpr size_t kBlock = SHA512_CBLOCK; // 128 bytes
    unsigned char padded[kBlock] = {};
    SHA512_CTX ctx;
    // A key longer than a block is hashed first; a shorter one is padded
    // with zeros. (Not with SHA512(), which OpenSSL 3 runs through EVP.)
    if (key.size() > kBlock) {
        SHA512_Init(&ctx);
        SHA512_Update(&ctx, key.data(), key.size());
        SHA512_Final(padded, &ctx);
    } else {
        std::memcpy(padded, key.data(), key.size());
    }
    unsigned char block[kBlock];
    unsigned char inner[SHA512_DIGEST_LENGTH];
    unsigned char outer[SHA512_DIGEST_LENGTH];
    for (size_t i = 0; i < kBlock; ++i)
        block[i] = padded[i] ^ 0x36;
    SHA512_Init(&ctx);
    SHA512_Update(&ctx, block, kBlock);
    SHA512_Update(&ctx, content.data(), content.size());
    SHA512_Final(inner, &ctx);
    for (size_t i = 0; i < kBlock; ++i)
        block[i] = padded[i] ^ 0x5c;
    SHA512_Init(&ctx);
    SHA512_Update(&ctx, block, kBlock);
    SHA512_Update(&ctx, inner, sizeof inner);
    SHA512_Final(outer, &ctx);
    // The key, and what was derived from it, do not stay on the stack.
    OPENSSL_cleanse(padded, sizeof padded);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(inner, sizeof inner);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    return std::string(reinterpret_cast<const char*>(outer), sizeof outer);
}

} // namespace

Result<PodHmacKey> PodHmacKey::generate()
{
    std::string key(kKeyBytes, '\0');
    size_t filled = 0;
    while (filled < key.size()) {
        ssize_t n = ::getrandom(key.data() + filled, key.size() - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::fromErrno("getrandom for the pod HMAC key");
        }
        filled += static_cast<size_t>(n);
    }
    return PodHmacKey(std::move(key));
}

Result<PodHmacKey> PodHmacKey::fromBytes(std::string_view bytes)
{
    if (bytes.size() < 16)
        return Error("pod HMAC key too short (" + std::to_string(bytes.size()) + " bytes)");
    return PodHmacKey(std::string(bytes));
}

PodHmacKey::~PodHmacKey()
{
    if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
}

std::string PodHmacKey::sign(std::string_view content) const
{
    return encodeBase64(hmacSha512(key_, content));
}

bool PodHmacKey::verify(std::string_view content, std::string_view signatureBase64) const
{
    auto signature = decodeBase64(signatureBase64);
    if (!signature) return false;
    std::string expected = hmacSha512(key_, content);
    if (expected.empty() || signature->size() != expected.size()) return false;
    return CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) == 0;
}

Result<void> savePodHmacKey(const std::string& podDir, const PodHmacKey& key)
{
    std::string path = podDir + "/" + kPodHmacKeyFile;
    std::string tmp = path + ".tmp-" + randomHex(6);
    // No fsync: the key is worth keeping only while the pod runs, and a
    // crash ends the pod. 0600 from the first byte, whatever the umask.
    BERTH_TRY(UniqueFd fd,
              openPath(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    auto written = writeAll(fd.get(), key.bytes());
    if (written && ::fchmod(fd.get(), 0600) < 0) written = Error::fromErrno("chmod");
    fd.reset();
    if (written && ::rename(tmp.c_str(), path.c_str()) < 0)
        written = Error::fromErrno("rename to '" + path + "'");
    if (!written) {
        ::unlink(tmp.c_str());
        return std::move(written).context("save the pod's HMAC key");
    }
    return ok();
}

Result<PodHmacKey> loadPodHmacKey(const std::string& podDir)
{
    std::string path = podDir + "/" + kPodHmacKeyFile;
    BERTH_TRY(UniqueFd fd, openPath(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::fromErrno("stat '" + path + "'");
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 07777) != 0600)
        return Error("pod HMAC key '" + path +
                     "' is not a mode 0600 file of this user; not trusting it");
    BERTH_TRY(std::string bytes, readAll(fd.get(), 4096).context("read '" + path + "'"));
    return PodHmacKey::fromBytes(bytes);
}

} // namespace berth
