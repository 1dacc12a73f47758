#include <berth/appc/base64.hpp>
#include <berth/appc/pod_hmac.hpp>
#include <berth/base/file.hpp>
#include <cerrno>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

std::string hmacSha512(const std::string& key, std::string_view content)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    // One-shot HMAC() has no state to share, so the server thread may call
    // it while the main thread does too.
    if (!HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest,
              &length))
        return {};
    return std::string(reinterpret_cast<const char*>(digest), length);
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
    auto signature = decodeBase64Strict(signatureBase64);
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
