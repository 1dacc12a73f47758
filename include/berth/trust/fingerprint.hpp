#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>

namespace berth
{

// An OpenPGP key fingerprint in the form trusted-key files are named by:
// lowercase hex, 40 digits (v4 keys) or 64 (v5). Accepts what users paste
// from gpg: uppercase, spaces, a "0x" prefix. Short and long key ids are
// refused, since they do not name one key.
Result<std::string> normalizeFingerprint(std::string_view text);

// True for a name already in normal form (a trusted-key file name).
bool isNormalFingerprint(std::string_view text);

} // namespace berth
