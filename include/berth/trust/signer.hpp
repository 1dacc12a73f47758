#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>

namespace berth
{

// Signing with the user's own GnuPG: their keyring (GNUPGHOME, else
// ~/.gnupg, or `gnupgHome` when given), their agent and pinentry. This is
// the one place berth uses a keyring it did not make; verification never
// does.
//
// `key` is anything gpg accepts that names exactly one secret key (a
// fingerprint is best); more than one match is an error rather than a guess.

// An armored detached signature over the bytes of `fd` (from offset 0 when
// seekable): the `.aci.asc` beside an ACI.
Result<std::string> signDetached(int fd, const std::string& key, const std::string& gnupgHome = {});

// A binary OpenPGP signed message carrying `payload`: a containers simple
// signing signature.
Result<std::string> signMessage(std::string_view payload, const std::string& key,
                                const std::string& gnupgHome = {});

} // namespace berth
