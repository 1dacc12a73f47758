#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/store/system_store.hpp>
#include <berth/trust/fingerprint.hpp>
#include <berth/trust/keyring.hpp>
#include <berth/trust/prefix.hpp>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <pwd.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

constexpr KeyStore kStores[] = {KeyStore::Vendor, KeyStore::System, KeyStore::User};

struct KeyFile {
    std::string path;
    bool empty = false;
};

using KeyFiles = std::map<std::string, KeyFile>; // by fingerprint

struct DirEntry {
    std::string name;
    struct stat st;
};

// Lists a directory, following symlinks (a distribution may link key files).
// A directory that does not exist is empty; one we cannot read is an error,
// since skipping it could drop a mask and bring back a key the admin removed.
Result<std::vector<DirEntry>> readEntries(const std::string& dir)
{
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::vector<DirEntry>{};
        return Error::fromErrno("open trusted keys directory '" + dir + "'");
    }
    DIR* d = ::fdopendir(fd);
    if (!d) {
        int err = errno;
        ::close(fd);
        return Error::fromErrno("read '" + dir + "'", err);
    }
    std::vector<DirEntry> entries;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        DirEntry entry{name, {}};
        if (::fstatat(::dirfd(d), name.c_str(), &entry.st, 0) < 0)
            continue; // a dangling link is no key
        entries.push_back(std::move(entry));
        errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err) return Error::fromErrno("read '" + dir + "'", err);
    return entries;
}

Result<KeyFiles> scanKeyFiles(const std::string& dir)
{
    BERTH_TRY(auto entries, readEntries(dir));
    KeyFiles files;
    for (const auto& entry : entries) {
        if (!S_ISREG(entry.st.st_mode) || !isNormalFingerprint(entry.name)) {
            logDebug("ignoring '{}/{}': not a file named by a key fingerprint", dir, entry.name);
            continue;
        }
        files[entry.name] = {dir + "/" + entry.name, entry.st.st_size == 0};
    }
    return files;
}

std::string relativeDir(const std::string& prefix)
{
    return prefix.empty() ? "root.d" : "prefix.d/" + escapePrefix(prefix);
}

// The effective keys of one relative directory across the three stores.
Result<void> collect(const KeyringPaths& paths, const std::string& prefix,
                     std::vector<TrustedKey>& out)
{
    std::string rel = relativeDir(prefix);
    BERTH_TRY(KeyFiles vendor, scanKeyFiles(paths.vendor + "/" + rel));
    BERTH_TRY(KeyFiles system, scanKeyFiles(paths.system + "/" + rel));
    BERTH_TRY(KeyFiles user, scanKeyFiles(paths.user + "/" + rel));
    for (const auto& [fpr, file] : vendor) {
        if (system.count(fpr)) continue; // masked (empty) or replaced (non-empty): System decides
        if (!file.empty) out.push_back({prefix, fpr, KeyStore::Vendor, file.path});
    }
    for (const auto& [fpr, file] : system)
        if (!file.empty) out.push_back({prefix, fpr, KeyStore::System, file.path});
    for (const auto& [fpr, file] : user)
        if (!file.empty) out.push_back({prefix, fpr, KeyStore::User, file.path});
    return ok();
}

std::string homeDirectory()
{
    if (const char* home = std::getenv("HOME"); home && home[0] == '/') return home;
    if (passwd* pw = ::getpwuid(::getuid())) return pw->pw_dir;
    return "/";
}

// Members of berth-admin change the system keyring (berth-system(1)); tell
// anyone else which group that is rather than only "Permission denied".
Error systemKeyringError(Error error, KeyStore store, const std::string& dir)
{
    if (store != KeyStore::System || (error.errnum() != EACCES && error.errnum() != EPERM))
        return error;
    passwd* pw = ::getpwuid(::getuid());
    std::string user = pw ? pw->pw_name : std::to_string(::getuid());
    return Error("you may not change the system's trusted keys in '" + dir + "': join group '" +
                 kAdminGroup + "' (sudo usermod -aG " + kAdminGroup + " " + user +
                 ") and log in again");
}

std::string describeScope(const KeyScope& scope)
{
    switch (scope.kind) {
    case KeyScope::Kind::Root:
        return "as a root key";
    case KeyScope::Kind::Prefix:
        return "for prefix '" + scope.prefix + "'";
    case KeyScope::Kind::Anywhere:
        break;
    }
    return "for any prefix";
}

bool scopeMatches(const KeyScope& scope, const std::string& prefix)
{
    switch (scope.kind) {
    case KeyScope::Kind::Root:
        return prefix.empty();
    case KeyScope::Kind::Prefix:
        return prefix == scope.prefix;
    case KeyScope::Kind::Anywhere:
        break;
    }
    return true;
}

// The system keyring is shared by every member of berth-admin (the
// directories are 2775 root:berth-admin, see berth-system(1)): what one
// admin creates there must stay changeable by the others, whoever created
// it first and whatever their umask. So directories are 2775 (setgid keeps
// the group) and key files 0664, set with fchmod rather than left to the
// umask. The user's own keyring is private and keeps the umask's modes.
constexpr mode_t kSharedDirectoryMode = 02775;
constexpr mode_t kSharedFileMode = 0664;

// One directory of the system keyring: created if missing; given the shared
// mode when this user owns it (that also repairs one an older berth made
// 0755 under its creator's umask).
Result<void> makeSharedDirectory(const std::string& path)
{
    bool created = ::mkdir(path.c_str(), 0700) == 0;
    if (!created && errno != EEXIST) return Error::fromErrno("create '" + path + "'");
    // O_NOFOLLOW: the mode goes on the directory, never through a link.
    BERTH_TRY(UniqueFd fd, openPath(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::fromErrno("stat '" + path + "'");
    if ((created || st.st_uid == ::geteuid()) && (st.st_mode & 07777) != kSharedDirectoryMode &&
        ::fchmod(fd.get(), kSharedDirectoryMode) < 0)
        return Error::fromErrno("chmod '" + path + "'");
    return ok();
}

// The directories from the system keyring `base` down to base/rel.
Result<void> makeSharedDirectories(const std::string& base, const std::string& rel)
{
    auto slash = base.find_last_of('/');
    if (slash != std::string::npos && slash > 0)
        BERTH_CHECK(makeDirectories(base.substr(0, slash), 0755));
    BERTH_CHECK(makeSharedDirectory(base));
    std::string path = base;
    size_t start = 0;
    while (start < rel.size()) {
        size_t end = rel.find('/', start);
        if (end == std::string::npos) end = rel.size();
        path += "/" + rel.substr(start, end - start);
        BERTH_CHECK(makeSharedDirectory(path));
        start = end + 1;
    }
    return ok();
}

// writeFileAtomic with the shared file mode set explicitly.
Result<void> writeSharedFileAtomic(const std::string& path, std::string_view data)
{
    std::string tmp = path + ".tmp-" + randomHex(6);
    BERTH_TRY(UniqueFd fd, openPath(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
    Result<void> written = ok();
    if (::fchmod(fd.get(), kSharedFileMode) < 0) written = Error::fromErrno("chmod");
    if (written) written = writeAll(fd.get(), data);
    if (written && ::fsync(fd.get()) < 0) written = Error::fromErrno("fsync");
    fd.reset();
    if (written && ::rename(tmp.c_str(), path.c_str()) < 0)
        written = Error::fromErrno("rename '" + tmp + "' to '" + path + "'");
    if (!written) {
        ::unlink(tmp.c_str());
        return std::move(written).context("write '" + path + "'");
    }
    return ok();
}

// Creates <store>/<rel> and writes <store>/<rel>/<name>: with the shared
// modes in the system keyring, under the umask in the user's.
Result<void> writeKeyFile(KeyStore store, const std::string& base, const std::string& rel,
                          const std::string& name, std::string_view data)
{
    std::string dir = base + "/" + rel;
    if (store == KeyStore::System) {
        BERTH_CHECK(makeSharedDirectories(base, rel).context("create '" + dir + "'"));
        return writeSharedFileAtomic(dir + "/" + name, data);
    }
    BERTH_CHECK(makeDirectories(dir, 0755).context("create '" + dir + "'"));
    return writeFileAtomic(dir + "/" + name, data, 0644);
}

} // namespace

const char* keyStoreName(KeyStore store)
{
    switch (store) {
    case KeyStore::Vendor:
        return "vendor";
    case KeyStore::System:
        return "system";
    case KeyStore::User:
        break;
    }
    return "user";
}

KeyringPaths KeyringPaths::defaults()
{
    KeyringPaths paths;
    paths.vendor = "/usr/lib/berth/trustedkeys";
    paths.system = SystemPaths::get().config + "/trustedkeys";
    const char* config = std::getenv("XDG_CONFIG_HOME");
    std::string base = config && config[0] == '/' ? config : homeDirectory() + "/.config";
    paths.user = base + "/berth/trustedkeys";
    return paths;
}

const std::string& KeyringPaths::directory(KeyStore store) const
{
    switch (store) {
    case KeyStore::Vendor:
        return vendor;
    case KeyStore::System:
        return system;
    case KeyStore::User:
        break;
    }
    return user;
}

Result<std::vector<TrustedKey>> Keyring::list() const
{
    std::set<std::string> prefixes;
    for (KeyStore store : kStores) {
        std::string dir = paths_.directory(store) + "/prefix.d";
        BERTH_TRY(auto entries, readEntries(dir));
        for (const auto& entry : entries) {
            if (!S_ISDIR(entry.st.st_mode)) continue;
            auto prefix = unescapePrefix(entry.name);
            if (!prefix) {
                logWarning("ignoring trusted keys in '{}/{}': {}", dir, entry.name,
                           prefix.error().message());
                continue;
            }
            prefixes.insert(*prefix);
        }
    }
    std::vector<TrustedKey> keys;
    BERTH_CHECK(collect(paths_, "", keys));
    for (const auto& prefix : prefixes)
        BERTH_CHECK(collect(paths_, prefix, keys));
    return keys;
}

Result<std::vector<TrustedKey>> Keyring::keysFor(std::string_view imageName) const
{
    std::vector<TrustedKey> keys;
    for (const auto& prefix : prefixChain(imageName)) {
        // A name component that is no valid prefix (say "a//b") can have no
        // keys; skipping it keeps escapePrefix's precondition.
        if (!validatePrefix(prefix)) continue;
        BERTH_CHECK(collect(paths_, prefix, keys));
    }
    BERTH_CHECK(collect(paths_, "", keys));
    return keys;
}

Result<bool> Keyring::trusts(std::string_view imageName, std::string_view fingerprint) const
{
    BERTH_TRY(std::string fpr, normalizeFingerprint(fingerprint));
    BERTH_TRY(auto keys, keysFor(imageName));
    return std::any_of(keys.begin(), keys.end(),
                       [&](const TrustedKey& key) { return key.fingerprint == fpr; });
}

Result<TrustedKey> Keyring::add(KeyStore store, const KeyScope& scope, std::string_view fingerprint,
                                std::string_view armoredKey) const
{
    if (store == KeyStore::Vendor)
        return Error("the vendor keyring '" + paths_.vendor + "' belongs to the distribution");
    if (scope.kind == KeyScope::Kind::Anywhere)
        return Error("a key is added as a root key or for a prefix");
    if (scope.kind == KeyScope::Kind::Prefix) BERTH_CHECK(validatePrefix(scope.prefix));
    BERTH_TRY(std::string fpr, normalizeFingerprint(fingerprint));
    if (armoredKey.empty())
        return Error("key " + fpr + " is empty"); // an empty file would be a mask
    std::string prefix = scope.kind == KeyScope::Kind::Root ? "" : scope.prefix;
    std::string rel = relativeDir(prefix);
    auto written = writeKeyFile(store, paths_.directory(store), rel, fpr, armoredKey);
    if (!written)
        return systemKeyringError(std::move(written).error(), store, paths_.directory(store));
    return TrustedKey{prefix, fpr, store, paths_.directory(store) + "/" + rel + "/" + fpr};
}

Result<std::vector<TrustedKey>> Keyring::remove(KeyStore store, std::string_view fingerprint,
                                                const KeyScope& scope) const
{
    BERTH_TRY(std::string fpr, normalizeFingerprint(fingerprint));
    if (store == KeyStore::Vendor)
        return Error("the vendor keyring '" + paths_.vendor +
                     "' belongs to the distribution; remove the key with --system, which "
                     "masks it");
    BERTH_TRY(auto all, list());
    std::vector<TrustedKey> removed;
    for (const auto& key : all) {
        if (key.fingerprint != fpr || !scopeMatches(scope, key.prefix)) continue;
        bool inStore = key.store == store;
        bool masked = store == KeyStore::System && key.store == KeyStore::Vendor;
        if (!inStore && !masked) continue;
        std::string path = paths_.directory(store) + "/" + relativeDir(key.prefix) + "/" + fpr;
        if (masked || (store == KeyStore::System &&
                       pathExists(paths_.vendor + "/" + relativeDir(key.prefix) + "/" + fpr))) {
            // Deleting the System file would bring the Vendor one back.
            auto mask =
                writeKeyFile(KeyStore::System, paths_.system, relativeDir(key.prefix), fpr, "");
            if (!mask)
                return systemKeyringError(std::move(mask).context("mask key " + fpr).error(), store,
                                          paths_.system);
        } else if (::unlink(path.c_str()) < 0) {
            return systemKeyringError(Error::fromErrno("remove '" + path + "'"), store,
                                      paths_.directory(store));
        }
        removed.push_back(key);
    }
    if (!removed.empty()) return removed;

    std::string where;
    for (const auto& key : all)
        if (key.fingerprint == fpr)
            where += std::string(where.empty() ? "" : ", ") +
                     (key.isRoot() ? "root" : "prefix '" + key.prefix + "'") + " (" +
                     keyStoreName(key.store) + ")";
    if (where.empty()) return Error("key " + fpr + " is not trusted " + describeScope(scope));
    return Error("key " + fpr + " is not in the " + keyStoreName(store) + " keyring " +
                 describeScope(scope) + "; it is trusted as: " + where);
}

} // namespace berth
