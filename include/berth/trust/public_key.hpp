#pragma once

#include <berth/base/result.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// What a user reviews before trusting a key, and what is stored.
struct PublicKey {
    std::string fingerprint; // of the primary key, lowercase hex
    std::vector<std::string> userIds;
    int64_t created = 0; // unix seconds
    int64_t expires = 0; // unix seconds; 0: never
    bool expired = false;
    bool revoked = false;
    bool canSign = false; // the primary key or a usable subkey may sign
    std::string armored;  // this key alone, ASCII-armored as gpg exports it
};

// Reads the public keys in OpenPGP key data (armored or binary), one entry
// per primary key, in a temporary GNUPGHOME under `scratchDir` (empty: TMPDIR
// or /tmp). Data holding no public key is an error.
Result<std::vector<PublicKey>> readPublicKeys(std::string_view keyData,
                                              const std::string& scratchDir = {});

} // namespace berth
