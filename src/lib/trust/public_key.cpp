#include "gpg_context.hpp"

#include <berth/trust/public_key.hpp>
#include <set>

namespace berth
{

Result<std::vector<PublicKey>> readPublicKeys(std::string_view keyData,
                                              const std::string& scratchDir)
{
    BERTH_TRY(gpg::TemporaryHome home, gpg::TemporaryHome::create(scratchDir));
    BERTH_TRY(gpg::Context ctx, gpg::Context::create(home.path()));
    BERTH_TRY(gpg::Data input, gpg::Data::fromMemory(keyData));
    if (gpgme_error_t err = gpgme_op_import(ctx.get(), input.get()))
        return gpg::error("read OpenPGP key data", err);
    gpgme_import_result_t imported = gpgme_op_import_result(ctx.get());
    if (!imported || imported->considered == 0)
        return Error("no OpenPGP public key found (expected an armored key as 'gpg --armor "
                     "--export' writes)");

    // The import status lists every primary key it saw, by fingerprint.
    std::set<std::string> fingerprints;
    for (gpgme_import_status_t status = imported->imports; status; status = status->next)
        if (status->fpr && status->result == 0) fingerprints.insert(status->fpr);
    if (fingerprints.empty()) return Error("the key data holds no usable public key");

    std::vector<PublicKey> keys;
    for (const auto& fpr : fingerprints) {
        gpgme_key_t raw = nullptr;
        if (gpgme_error_t err = gpgme_get_key(ctx.get(), fpr.c_str(), &raw, 0))
            return gpg::error("look up imported key " + fpr, err);
        gpg::Key key(raw);
        PublicKey info;
        gpgme_subkey_t primary = raw->subkeys;
        info.fingerprint = gpg::lowercase(primary->fpr);
        info.created = primary->timestamp;
        info.expires = primary->expires;
        info.expired = raw->expired;
        info.revoked = raw->revoked;
        for (gpgme_subkey_t sub = raw->subkeys; sub; sub = sub->next)
            if (sub->can_sign && !sub->revoked && !sub->expired && !sub->disabled && !sub->invalid)
                info.canSign = true;
        for (gpgme_user_id_t uid = raw->uids; uid; uid = uid->next)
            if (uid->uid && !uid->revoked && !uid->invalid) info.userIds.emplace_back(uid->uid);

        BERTH_TRY(gpg::Data out, gpg::Data::limitedSink(16 << 20));
        gpgme_set_armor(ctx.get(), 1);
        const char* patterns[] = {fpr.c_str(), nullptr};
        if (gpgme_error_t err = gpgme_op_export_ext(ctx.get(), patterns, 0, out.get()))
            return gpg::error("export key " + fpr, err);
        info.armored = out.takeSink();
        if (info.armored.empty()) return Error("export key " + fpr + ": gpg wrote nothing");
        keys.push_back(std::move(info));
    }
    return keys;
}

} // namespace berth
