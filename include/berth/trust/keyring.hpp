#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// The three places trusted keys live, as rkt had them. Lower ones are read
// together; an admin masks a distribution key with an empty file of the same
// name under /etc.
enum class KeyStore {
    Vendor, // /usr/lib/berth/trustedkeys, shipped by a distribution
    System, // /etc/berth/trustedkeys, the admin's (group berth-admin)
    User,   // $XDG_CONFIG_HOME/berth/trustedkeys, the invoking user's own
};

// "vendor", "system", "user"
const char* keyStoreName(KeyStore store);

struct KeyringPaths {
    std::string vendor;
    std::string system;
    std::string user;

    // The standard places; the user's follows XDG_CONFIG_HOME (absolute
    // only, as the XDG spec says), else $HOME/.config, else the passwd entry.
    static KeyringPaths defaults();

    const std::string& directory(KeyStore store) const;
};

// Which keys of a store an operation means: the root keys (trusted for every
// image), the keys of one prefix, or (for removal) wherever the key is.
struct KeyScope {
    enum class Kind { Root, Prefix, Anywhere };
    Kind kind = Kind::Anywhere;
    std::string prefix;

    static KeyScope root() { return {Kind::Root, {}}; }
    static KeyScope forPrefix(std::string prefix) { return {Kind::Prefix, std::move(prefix)}; }
    static KeyScope anywhere() { return {Kind::Anywhere, {}}; }
};

// One trusted key file. Reading a TrustedKey never runs gpg: it is a
// directory entry, which keeps the check at every `berth run` cheap.
struct TrustedKey {
    std::string prefix;      // empty for a root key
    std::string fingerprint; // lowercase hex, the file's name
    KeyStore store = KeyStore::User;
    std::string path; // the file holding the armored public key

    bool isRoot() const { return prefix.empty(); }
};

// The trusted keys on disk. Layout under each store directory:
//   root.d/<fingerprint>                   trusted for every image
//   prefix.d/<escaped prefix>/<fingerprint> trusted for that prefix and below
// (see escapePrefix). Files not named by a normal fingerprint, and prefix
// directories that are not canonical escapes, are ignored.
//
// Masking: an empty file under System masks the file of the same relative
// path under Vendor; a non-empty one there replaces it. Empty files anywhere
// else are ignored. The user's keys add to the others and cannot mask them:
// a user trusting less than the admin is not a security boundary.
class Keyring
{
public:
    explicit Keyring(KeyringPaths paths) : paths_(std::move(paths)) {}

    const KeyringPaths& paths() const { return paths_; }

    // Every effective key: root keys first, then by prefix, then by store.
    Result<std::vector<TrustedKey>> list() const;

    // The keys that apply to an image name: its prefix chain (see
    // prefixChain), longest prefix first, then the root keys. Reads only the
    // directories that can apply.
    Result<std::vector<TrustedKey>> keysFor(std::string_view imageName) const;

    // True when a key with this fingerprint applies to the image name.
    Result<bool> trusts(std::string_view imageName, std::string_view fingerprint) const;

    // Writes the armored key as <store>/root.d/<fpr> or
    // <store>/prefix.d/<escaped>/<fpr> (atomically; replacing a mask file).
    // `scope` must be Root or Prefix. Vendor is read-only.
    Result<TrustedKey> add(KeyStore store, const KeyScope& scope, std::string_view fingerprint,
                           std::string_view armoredKey) const;

    // Removes the key from `store` within `scope`, returning what no longer
    // applies. In System, a key that a Vendor file of the same path still
    // provides is masked with an empty file instead. Nothing found is an
    // error that says where the key is trusted, if anywhere.
    Result<std::vector<TrustedKey>> remove(KeyStore store, std::string_view fingerprint,
                                           const KeyScope& scope) const;

private:
    KeyringPaths paths_;
};

} // namespace berth
