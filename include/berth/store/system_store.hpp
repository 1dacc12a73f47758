#pragma once

#include <berth/base/result.hpp>
#include <berth/store/store.hpp>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace berth
{

// The shared system store (docs/architecture.md, "The four stages"): blobs and the index under
// /var/lib/berth, shared by the members of group `berth`, and /etc/berth
// (trusted keys, berth.conf), changed by the members of `berth-admin`.
//
// Modes (root owns everything; the setgid bit keeps new files in the group):
//   /var/lib/berth                 2750 root:berth  members read, nobody adds
//   /var/lib/berth/blobs           2750 root:berth
//   /var/lib/berth/blobs/sha256    3770 root:berth  sticky: members add blobs
//   /var/lib/berth/blobs/sha512    3770 root:berth  and remove only their own
//   /var/lib/berth/tmp             3770 root:berth  staging, fetch locks
//   /var/lib/berth/index           3770 root:berth  SQLite's files
//   /var/lib/berth/index/index.db{,-wal,-shm}  0660 root:berth
//   /var/lib/berth/lock            0660 root:berth
//   /etc/berth, /etc/berth/trustedkeys{,/root.d,/prefix.d}  2775 root:berth-admin
// Blobs are 0444, owned by the member who stored them.
inline constexpr const char* kStoreGroup = "berth";
inline constexpr const char* kAdminGroup = "berth-admin";

struct SystemPaths {
    std::string store;  // /var/lib/berth
    std::string config; // /etc/berth

    // Both move under $BERTH_TEST_SYSROOT when it names an absolute path. It
    // is for tests, which must not touch a real installation; it grants
    // nothing (like --root, it only changes where this process looks).
    static SystemPaths get();
};

// --store=user|system
enum class StoreKind { User, System };
Result<StoreKind> parseStoreKind(const std::string& text);
// The configured default: $BERTH_STORE, else the "store = user|system" line
// of /etc/berth/berth.conf, else the user's own store.
Result<StoreKind> configuredStoreKind(const SystemPaths& paths);

// Opens the store a command uses: --root DIR (`rootOption`), else
// --store (`storeOption`), else the configured default; root's default is
// the system store. In the system store a user's trees and pods live in
// userStoreRoot()/system; root's stay in /var/lib/berth, which no member
// may write.
Result<std::unique_ptr<Store>> openChosenStore(const std::string& rootOption,
                                               const std::string& storeOption);

// The gid of a group, if it exists.
Result<std::optional<gid_t>> groupId(const std::string& name);

// Creates or repairs the system store under `root` with the modes above,
// group `gid`. Returns one line per change. `deep` also repairs the group
// and mode of every blob. Root only.
Result<std::vector<std::string>> prepareSystemStore(const std::string& root, gid_t gid, bool deep);

// `berth system setup`: the groups (groupadd --system), the store and
// /etc/berth. Idempotent; returns one line per change. Root only.
Result<std::vector<std::string>> setupSystem(const SystemPaths& paths);

// Fails with one line naming the group to join when this user may not use
// the system store at `root`, or naming setup when it is missing.
Result<void> checkSystemStoreAccess(const std::string& root);

} // namespace berth
