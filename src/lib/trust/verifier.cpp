#include "gpg_context.hpp"

#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/stage/stage_message.hpp>
#include <berth/stage/stage_process.hpp>
#include <berth/trust/verifier.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <functional>
#include <optional>
#include <set>
#include <unistd.h>

namespace berth
{

namespace
{

using Status = TrustVerdict::Status;

std::string formatDate(int64_t when)
{
    time_t t = static_cast<time_t>(when);
    struct tm tm;
    char buffer[32];
    if (!::gmtime_r(&t, &tm) || !std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm))
        return std::to_string(when);
    return buffer;
}

// Imports the trusted keys into the context's empty home. The set returned
// holds the fingerprints that trust may be granted to.
Result<std::set<std::string>> importKeys(gpgme_ctx_t ctx, const std::vector<KeyMaterial>& keys)
{
    std::set<std::string> trusted;
    for (const auto& key : keys) {
        BERTH_TRY(gpg::Data data, gpg::Data::fromMemory(key.data));
        if (gpgme_error_t err = gpgme_op_import(ctx, data.get())) {
            logWarning("ignoring trusted key {}: {}", key.fingerprint, gpgme_strerror(err));
            continue;
        }
        bool found = false;
        gpgme_import_result_t result = gpgme_op_import_result(ctx);
        for (gpgme_import_status_t s = result ? result->imports : nullptr; s; s = s->next)
            if (s->fpr && gpg::lowercase(s->fpr) == key.fingerprint) found = true;
        if (!found)
            logWarning("ignoring trusted key file for {}: it holds a different key",
                       key.fingerprint);
        trusted.insert(key.fingerprint);
    }
    return trusted;
}

bool namesSubkey(gpgme_subkey_t sub, const std::string& named)
{
    if (!sub->fpr) return false;
    std::string fpr = gpg::lowercase(sub->fpr);
    // Old signatures name only a 64-bit key id.
    return fpr == named || (named.size() == 16 && fpr.ends_with(named));
}

// Decides one signature.
TrustVerdict judge(gpgme_ctx_t ctx, gpgme_signature_t sig, const std::set<std::string>& trusted)
{
    std::string named = sig->fpr ? gpg::lowercase(sig->fpr) : "";
    gpg::Key key;
    if (sig->fpr) {
        gpgme_key_t raw = nullptr;
        if (gpgme_get_key(ctx, sig->fpr, &raw, 0) == 0) key = gpg::Key(raw);
    }
    std::string primary = key ? gpg::lowercase(key.get()->subkeys->fpr) : named;

    switch (gpgme_err_code(sig->status)) {
    case GPG_ERR_NO_ERROR:
        break;
    case GPG_ERR_BAD_SIGNATURE:
        return TrustVerdict::reject(Status::BadSignature, primary, "");
    case GPG_ERR_NO_PUBKEY:
        return TrustVerdict::reject(Status::UntrustedKey, named, "");
    case GPG_ERR_KEY_EXPIRED:
        return TrustVerdict::reject(Status::KeyExpired, primary, "");
    case GPG_ERR_CERT_REVOKED:
        return TrustVerdict::reject(Status::KeyRevoked, primary, "");
    case GPG_ERR_SIG_EXPIRED:
        return TrustVerdict::reject(Status::SignatureExpired, primary,
                                    "on " + formatDate(sig->exp_timestamp));
    default:
        return TrustVerdict::reject(Status::BadSignature, primary, gpgme_strerror(sig->status));
    }

    // gpg calls the signature good; now the key must be one we trust, and
    // usable today, whatever gpg's own notion of validity.
    if (!key || !trusted.count(primary))
        return TrustVerdict::reject(Status::UntrustedKey, primary, "");
    gpgme_key_t k = key.get();
    gpgme_subkey_t signer = nullptr;
    for (gpgme_subkey_t sub = k->subkeys; sub; sub = sub->next)
        if (namesSubkey(sub, named)) signer = sub;
    if (k->revoked || (signer && signer->revoked) || (sig->summary & GPGME_SIGSUM_KEY_REVOKED))
        return TrustVerdict::reject(Status::KeyRevoked, primary, "");
    if (k->expired || (signer && signer->expired) || (sig->summary & GPGME_SIGSUM_KEY_EXPIRED)) {
        int64_t when = signer && signer->expired ? signer->expires : k->subkeys->expires;
        return TrustVerdict::reject(Status::KeyExpired, primary,
                                    when ? "on " + formatDate(when) : "");
    }
    if (sig->summary & GPGME_SIGSUM_SIG_EXPIRED)
        return TrustVerdict::reject(Status::SignatureExpired, primary, "");
    if (!signer)
        return TrustVerdict::reject(Status::BadSignature, primary,
                                    "the signing key " + named + " is not part of key " + primary);
    if (k->invalid || k->disabled || signer->invalid || signer->disabled || !signer->can_sign ||
        sig->wrong_key_usage || (sig->summary & GPGME_SIGSUM_RED))
        return TrustVerdict::reject(Status::BadSignature, primary,
                                    "the key may not make signatures");
    return TrustVerdict::accept(primary);
}

int rank(Status status)
{
    switch (status) {
    case Status::KeyRevoked:
        return 4;
    case Status::KeyExpired:
        return 3;
    case Status::SignatureExpired:
        return 2;
    default:
        return 1;
    }
}

// Turns gpg's verify result into one verdict.
TrustVerdict combine(gpgme_ctx_t ctx, const std::set<std::string>& trusted)
{
    gpgme_verify_result_t result = gpgme_op_verify_result(ctx);
    if (!result || !result->signatures)
        return TrustVerdict::reject(Status::BadSignature, "", "no OpenPGP signature found");
    std::optional<TrustVerdict> accepted;
    std::optional<TrustVerdict> rejected;
    for (gpgme_signature_t sig = result->signatures; sig; sig = sig->next) {
        TrustVerdict verdict = judge(ctx, sig, trusted);
        if (verdict.status == Status::BadSignature) return verdict;
        if (verdict.ok()) {
            if (!accepted) accepted = verdict;
        } else if (!rejected || rank(verdict.status) > rank(rejected->status)) {
            rejected = verdict;
        }
    }
    return accepted ? *accepted : *rejected;
}

// Errors from gpg that describe the data rather than the machine.
bool isDataError(gpgme_error_t err)
{
    switch (gpgme_err_code(err)) {
    case GPG_ERR_NO_DATA:
    case GPG_ERR_BAD_DATA:
    case GPG_ERR_INV_PACKET:
    case GPG_ERR_UNKNOWN_PACKET:
    case GPG_ERR_INV_ARMOR:
    case GPG_ERR_CHECKSUM:
    case GPG_ERR_BAD_SIGNATURE:
    case GPG_ERR_NOT_PROCESSED:
    case GPG_ERR_UNSUPPORTED_ALGORITHM:
    case GPG_ERR_DIGEST_ALGO:
    case GPG_ERR_PUBKEY_ALGO:
        return true;
    default:
        return false;
    }
}

struct Session {
    gpg::Context ctx;
    std::set<std::string> trusted;
};

// `home` is the stage's GNUPGHOME, made by stage0 (see inVerifyStage).
Result<Session> openSession(const std::vector<KeyMaterial>& keys, const std::string& home)
{
    BERTH_TRY(gpg::Context ctx, gpg::Context::create(home));
    BERTH_TRY(auto trusted, importKeys(ctx.get(), keys));
    return Session{std::move(ctx), std::move(trusted)};
}

// --- the verify stage ---------------------------------------------------
//
// gpg parses the signature, the keys and (for signed messages) the payload:
// hostile input, in a process of its own. The stage may read and execute
// gpg and its libraries and read its configuration; it may write only its
// GNUPGHOME, because gpg cannot verify without writing its keyring there
// (pubring.kbx, trustdb.gpg, lock files). Stage0 creates that home before
// the fork, so the stage needs no right to create directories anywhere,
// and removes it after, so nothing the stage wrote outlives it. The stage
// has no network (an empty network namespace, and seccomp and Landlock
// deny TCP), cannot write the store or the trusted keys, and answers only
// with a verdict (and a signed message's payload, once verified).

SandboxPolicy verifyPolicy(const std::string& home)
{
    SandboxPolicy policy;
    policy.stage = "verify";
    // gpgme runs gpgconf and gpg; they load libraries and locale data.
    policy.paths.execute = {"/usr/bin", "/bin",   "/usr/local/bin", "/usr/lib",
                            "/lib",     "/lib64", "/usr/lib64",     "/usr/libexec"};
    policy.paths.read = {"/etc/gnupg",       "/etc/ld.so.cache",   "/etc/passwd",
                         "/etc/group",       "/etc/nsswitch.conf", "/etc/localtime",
                         "/usr/share/gnupg", "/usr/share/locale"};
    policy.paths.devices = {"/dev/null"};
    policy.paths.write = {home};
    policy.denyNetwork = true;
    policy.newNetworkNamespace = true;
    return policy;
}

std::string encodeMessage(const VerifiedMessage& message)
{
    StageMessageWriter out;
    out.put(static_cast<int64_t>(message.verdict.status));
    out.put(message.verdict.fingerprint);
    out.put(message.verdict.detail);
    out.put(message.payload);
    return out.take();
}

Result<VerifiedMessage> decodeMessage(std::string_view answer)
{
    StageMessageReader in(answer);
    BERTH_TRY(int64_t code, in.nextNumber());
    BERTH_TRY(std::string_view fingerprint, in.next());
    BERTH_TRY(std::string_view detail, in.next());
    BERTH_TRY(std::string_view payload, in.next());
    if (code < 0 || code > static_cast<int64_t>(Status::ReferenceMismatch))
        return Error("the verify stage answered an unknown status");
    VerifiedMessage out;
    out.verdict =
        TrustVerdict{static_cast<Status>(code), std::string(fingerprint), std::string(detail)};
    out.payload = std::string(payload);
    return out;
}

// Runs `work` (given the stage's GNUPGHOME) in the verify stage and returns
// its answer.
Result<VerifiedMessage>
inVerifyStage(const std::string& scratchDir,
              const std::function<Result<VerifiedMessage>(const std::string& home)>& work)
{
    // Once here, so the stage does not find gpg again for every check.
    BERTH_CHECK(gpg::initialize());
    BERTH_TRY(gpg::TemporaryHome home, gpg::TemporaryHome::create(scratchDir));
    SandboxPolicy policy = verifyPolicy(home.path());
    noticeMissingProtections(policy);
    BERTH_TRY(std::string answer, runStage(policy, [&]() -> Result<std::string> {
                  BERTH_TRY(VerifiedMessage message, work(home.path()));
                  return encodeMessage(message);
              }));
    return decodeMessage(answer);
}

Result<TrustVerdict> verdictIn(const std::string& scratchDir,
                               const std::function<Result<TrustVerdict>(const std::string&)>& work)
{
    BERTH_TRY(VerifiedMessage message,
              inVerifyStage(scratchDir, [&](const std::string& home) -> Result<VerifiedMessage> {
                  BERTH_TRY(TrustVerdict verdict, work(home));
                  return VerifiedMessage{std::move(verdict), {}};
              }));
    return std::move(message.verdict);
}

Result<TrustVerdict> verifyData(gpg::Data& signed_, std::string_view signature,
                                const std::vector<KeyMaterial>& keys, const std::string& home)
{
    BERTH_TRY(Session session, openSession(keys, home));
    BERTH_TRY(gpg::Data sig, gpg::Data::fromMemory(signature));
    gpgme_error_t err = gpgme_op_verify(session.ctx.get(), sig.get(), signed_.get(), nullptr);
    if (err) {
        if (isDataError(err))
            return TrustVerdict::reject(Status::BadSignature, "", gpgme_strerror(err));
        return gpg::error("verify signature", err);
    }
    return combine(session.ctx.get(), session.trusted);
}

// Defined below the entry points that run them in the stage.
Result<TrustVerdict> signerIn(std::string_view signature, const std::vector<KeyMaterial>& keys,
                              const std::string& home);
Result<VerifiedMessage> signedMessageIn(std::string_view message,
                                        const std::vector<KeyMaterial>& keys, size_t maxPayload,
                                        const std::string& home);

} // namespace

Result<std::vector<KeyMaterial>> loadKeyMaterial(const std::vector<TrustedKey>& keys)
{
    std::vector<KeyMaterial> out;
    std::set<std::string> seen;
    for (const auto& key : keys) {
        if (!seen.insert(key.fingerprint).second) continue;
        BERTH_TRY(std::string data,
                  readFile(key.path, 1 << 20).context("read trusted key " + key.fingerprint));
        out.push_back({key.fingerprint, std::move(data)});
    }
    return out;
}

Result<TrustVerdict> verifyDetached(int signedFd, std::string_view signature,
                                    const std::vector<KeyMaterial>& keys,
                                    const std::string& scratchDir)
{
    if (::lseek(signedFd, 0, SEEK_SET) < 0 && errno != ESPIPE)
        return Error::fromErrno("rewind signed file");
    if (signature.empty())
        return TrustVerdict::reject(Status::BadSignature, "", "the signature file is empty");
    // The stage reads the staged file through this fd, opened by stage0:
    // its Landlock rules need not name the file.
    return verdictIn(scratchDir, [&](const std::string& home) -> Result<TrustVerdict> {
        BERTH_TRY(gpg::Data signed_, gpg::Data::fromFd(signedFd));
        return verifyData(signed_, signature, keys, home);
    });
}

Result<TrustVerdict> verifyDetached(std::string_view signedBytes, std::string_view signature,
                                    const std::vector<KeyMaterial>& keys,
                                    const std::string& scratchDir)
{
    if (signature.empty())
        return TrustVerdict::reject(Status::BadSignature, "", "the signature file is empty");
    return verdictIn(scratchDir, [&](const std::string& home) -> Result<TrustVerdict> {
        BERTH_TRY(gpg::Data signed_, gpg::Data::fromMemory(signedBytes));
        return verifyData(signed_, signature, keys, home);
    });
}

Result<TrustVerdict> checkDetachedSigner(std::string_view signature,
                                         const std::vector<KeyMaterial>& keys,
                                         const std::string& scratchDir)
{
    if (signature.empty())
        return TrustVerdict::reject(Status::BadSignature, "", "the signature file is empty");
    return verdictIn(scratchDir,
                     [&](const std::string& home) { return signerIn(signature, keys, home); });
}

Result<VerifiedMessage> verifySignedMessage(std::string_view message,
                                            const std::vector<KeyMaterial>& keys, size_t maxPayload,
                                            const std::string& scratchDir)
{
    if (message.empty())
        return VerifiedMessage{
            TrustVerdict::reject(Status::BadSignature, "", "the signature is empty"), {}};
    return inVerifyStage(scratchDir, [&](const std::string& home) {
        return signedMessageIn(message, keys, maxPayload, home);
    });
}

namespace
{

// In the verify stage: checkDetachedSigner's work.
Result<TrustVerdict> signerIn(std::string_view signature, const std::vector<KeyMaterial>& keys,
                              const std::string& home)
{
    BERTH_TRY(Session session, openSession(keys, home));
    BERTH_TRY(gpg::Data sig, gpg::Data::fromMemory(signature));
    // Checked against no bytes at all: gpg still reports which key made it.
    BERTH_TRY(gpg::Data nothing, gpg::Data::fromMemory(""));
    gpgme_ctx_t ctx = session.ctx.get();
    gpgme_error_t err = gpgme_op_verify(ctx, sig.get(), nothing.get(), nullptr);
    if (err) {
        if (isDataError(err))
            return TrustVerdict::reject(Status::BadSignature, "", gpgme_strerror(err));
        return gpg::error("read signature", err);
    }
    gpgme_verify_result_t result = gpgme_op_verify_result(ctx);
    if (!result || !result->signatures)
        return TrustVerdict::reject(Status::BadSignature, "", "no OpenPGP signature found");
    std::optional<TrustVerdict> rejected;
    for (gpgme_signature_t s = result->signatures; s; s = s->next) {
        std::string named = s->fpr ? gpg::lowercase(s->fpr) : "";
        gpgme_key_t raw = nullptr;
        if (!s->fpr || gpgme_get_key(ctx, s->fpr, &raw, 0) != 0) {
            if (!rejected) rejected = TrustVerdict::reject(Status::UntrustedKey, named, "");
            continue;
        }
        gpg::Key key(raw);
        std::string primary = gpg::lowercase(raw->subkeys->fpr);
        TrustVerdict verdict = TrustVerdict::accept(primary);
        if (!session.trusted.count(primary))
            verdict = TrustVerdict::reject(Status::UntrustedKey, primary, "");
        else if (raw->revoked)
            verdict = TrustVerdict::reject(Status::KeyRevoked, primary, "");
        else if (raw->expired)
            verdict = TrustVerdict::reject(Status::KeyExpired, primary, "");
        for (gpgme_subkey_t sub = raw->subkeys; sub && verdict.ok(); sub = sub->next)
            if (namesSubkey(sub, named) && (sub->revoked || sub->expired))
                verdict = TrustVerdict::reject(
                    sub->revoked ? Status::KeyRevoked : Status::KeyExpired, primary, "");
        if (verdict.ok()) return verdict;
        if (!rejected || rank(verdict.status) > rank(rejected->status)) rejected = verdict;
    }
    return *rejected;
}

// In the verify stage: verifySignedMessage's work.
Result<VerifiedMessage> signedMessageIn(std::string_view message,
                                        const std::vector<KeyMaterial>& keys, size_t maxPayload,
                                        const std::string& home)
{
    BERTH_TRY(Session session, openSession(keys, home));
    BERTH_TRY(gpg::Data input, gpg::Data::fromMemory(message));
    BERTH_TRY(gpg::Data plain, gpg::Data::limitedSink(maxPayload));
    gpgme_error_t err = gpgme_op_verify(session.ctx.get(), input.get(), nullptr, plain.get());
    if (plain.sinkOverflowed())
        return VerifiedMessage{
            TrustVerdict::reject(Status::InvalidPayload, "",
                                 fmt::format("payload larger than {} bytes", maxPayload)),
            {}};
    if (err) {
        if (isDataError(err))
            return VerifiedMessage{
                TrustVerdict::reject(Status::BadSignature, "", gpgme_strerror(err)), {}};
        return gpg::error("verify signed message", err);
    }
    VerifiedMessage out{combine(session.ctx.get(), session.trusted), {}};
    if (out.verdict.ok()) out.payload = plain.takeSink();
    return out;
}

} // namespace

} // namespace berth
