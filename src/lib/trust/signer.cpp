#include "gpg_context.hpp"

#include <berth/trust/signer.hpp>
#include <cerrno>
#include <unistd.h>
#include <vector>

namespace berth
{

namespace
{

// Finds the one secret key `key` names and makes it the context's signer.
Result<void> selectSigner(gpgme_ctx_t ctx, const std::string& key)
{
    if (gpgme_error_t err = gpgme_op_keylist_start(ctx, key.c_str(), 1))
        return gpg::error("look up secret key '" + key + "'", err);
    std::vector<gpg::Key> found;
    for (;;) {
        gpgme_key_t raw = nullptr;
        gpgme_error_t err = gpgme_op_keylist_next(ctx, &raw);
        if (gpgme_err_code(err) == GPG_ERR_EOF) break;
        if (err) {
            gpgme_op_keylist_end(ctx);
            return gpg::error("look up secret key '" + key + "'", err);
        }
        found.emplace_back(raw);
    }
    gpgme_op_keylist_end(ctx);
    if (found.empty())
        return Error("no secret key '" + key +
                     "' in your GnuPG keyring (see 'gpg --list-secret-keys')");
    if (found.size() > 1)
        return Error("'" + key + "' names " + std::to_string(found.size()) +
                     " secret keys; give the fingerprint of one");
    gpgme_key_t signer = found.front().get();
    if (signer->revoked || signer->expired || signer->disabled || signer->invalid ||
        !signer->can_sign)
        return Error("key '" + key +
                     "' cannot sign (revoked, expired, disabled or not a "
                     "signing key)");
    if (gpgme_error_t err = gpgme_signers_add(ctx, signer))
        return gpg::error("use key '" + key + "'", err);
    return ok();
}

Result<std::string> sign(gpg::Data& input, const std::string& key, const std::string& home,
                         gpgme_sig_mode_t mode, bool armor)
{
    BERTH_TRY(gpg::Context ctx, gpg::Context::create(home));
    BERTH_CHECK(selectSigner(ctx.get(), key));
    gpgme_set_armor(ctx.get(), armor ? 1 : 0);
    BERTH_TRY(gpg::Data output, gpg::Data::limitedSink(64 << 20));
    if (gpgme_error_t err = gpgme_op_sign(ctx.get(), input.get(), output.get(), mode))
        return gpg::error("sign with key '" + key + "'", err);
    gpgme_sign_result_t result = gpgme_op_sign_result(ctx.get());
    if (!result || !result->signatures || result->invalid_signers)
        return Error("sign with key '" + key + "': gpg made no signature");
    return output.takeSink();
}

} // namespace

Result<std::string> signDetached(int fd, const std::string& key, const std::string& gnupgHome)
{
    if (::lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE)
        return Error::fromErrno("rewind file to sign");
    BERTH_TRY(gpg::Data input, gpg::Data::fromFd(fd));
    return sign(input, key, gnupgHome, GPGME_SIG_MODE_DETACH, true);
}

Result<std::string> signMessage(std::string_view payload, const std::string& key,
                                const std::string& gnupgHome)
{
    BERTH_TRY(gpg::Data input, gpg::Data::fromMemory(payload));
    return sign(input, key, gnupgHome, GPGME_SIG_MODE_NORMAL, false);
}

} // namespace berth
