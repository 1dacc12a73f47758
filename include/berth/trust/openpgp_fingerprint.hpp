#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// The fingerprints (lowercase hex) of the primary keys in OpenPGP public key
// data, armored or binary, computed from the key packets themselves as RFC
// 4880 §12.2 defines them (v4: SHA-1 over 0x99, the two-byte length and the
// packet body; v6 of RFC 9580: SHA-256 over 0x9b and a four-byte length).
// No gpg: the check at every run uses it to see whether a containers policy
// still names a key. Subkeys, user ids and signatures are skipped; data it
// cannot parse gives no fingerprints, never a guess.
std::vector<std::string> primaryKeyFingerprints(std::string_view keyData);

} // namespace berth
