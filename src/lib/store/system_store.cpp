#include <berth/base/child_process.hpp>
#include <berth/base/file.hpp>
#include <berth/store/image_index.hpp>
#include <berth/store/system_store.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

namespace
{

using Changes = std::vector<std::string>;

std::string octal(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

std::string groupName(gid_t gid)
{
    if (group* g = ::getgrgid(gid)) return g->gr_name;
    return std::to_string(gid);
}

std::string userName(uid_t uid)
{
    if (passwd* pw = ::getpwuid(uid)) return pw->pw_name;
    return std::to_string(uid);
}

std::string parentOf(const std::string& path)
{
    size_t slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Makes the file behind fd root:gid with `mode`, noting what it changed.
Result<void> fixOwnerAndMode(int fd, const std::string& path, mode_t mode, gid_t gid,
                             Changes& changes)
{
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::fromErrno("stat '" + path + "'");
    if (st.st_uid != 0 || st.st_gid != gid) {
        if (::fchown(fd, 0, gid) < 0) return Error::fromErrno("chown '" + path + "'");
        changes.push_back("owner of " + path + ": " + userName(st.st_uid) + ":" +
                          groupName(st.st_gid) + " -> root:" + groupName(gid));
        // chown(2) may clear set-id bits: compare the mode as it is now.
        if (::fstat(fd, &st) < 0) return Error::fromErrno("stat '" + path + "'");
    }
    if ((st.st_mode & 07777) != mode) {
        if (::fchmod(fd, mode) < 0) return Error::fromErrno("chmod '" + path + "'");
        changes.push_back("mode of " + path + ": " + octal(st.st_mode) + " -> " + octal(mode));
    }
    return ok();
}

Result<void> ensureDirectory(const std::string& path, mode_t mode, gid_t gid, Changes& changes)
{
    bool created = ::mkdir(path.c_str(), 0700) == 0;
    if (!created && errno != EEXIST) return Error::fromErrno("create '" + path + "'");
    // O_NOFOLLOW: a symlink planted here must not make root chown its target.
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            return Error("'" + path + "' is not a directory; remove it and run setup again");
        return Error::fromErrno("open '" + path + "'");
    }
    UniqueFd owned(fd);
    Changes quiet;
    BERTH_CHECK(fixOwnerAndMode(fd, path, mode, gid, created ? quiet : changes));
    if (created)
        changes.push_back("created " + path + " (" + octal(mode) + " root:" + groupName(gid) + ")");
    return ok();
}

Result<void> ensureFile(const std::string& path, mode_t mode, gid_t gid, Changes& changes)
{
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool created = fd >= 0;
    if (!created && errno == EEXIST)
        fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            return Error("'" + path + "' is a symbolic link; remove it and run setup again");
        return Error::fromErrno("open '" + path + "'");
    }
    UniqueFd owned(fd);
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::fromErrno("stat '" + path + "'");
    if (!S_ISREG(st.st_mode))
        return Error("'" + path + "' is not a regular file; remove it and run setup again");
    Changes quiet;
    BERTH_CHECK(fixOwnerAndMode(fd, path, mode, gid, created ? quiet : changes));
    if (created)
        changes.push_back("created " + path + " (" + octal(mode) + " root:" + groupName(gid) + ")");
    return ok();
}

// Blobs stored before setup (by root, or copied in) get the store's group,
// so that members can read them, and the read-only mode every blob has.
Result<void> repairBlobs(const std::string& dir, gid_t gid, Changes& changes)
{
    BERTH_TRY(UniqueFd dirFd, openDirectory(dir));
    int listFd = ::dup(dirFd.get());
    if (listFd < 0) return Error::fromErrno("list '" + dir + "'");
    DIR* listing = ::fdopendir(listFd);
    if (!listing) {
        ::close(listFd);
        return Error::fromErrno("list '" + dir + "'");
    }
    size_t repaired = 0;
    Result<void> result = ok();
    while (dirent* entry = ::readdir(listing)) {
        std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        struct stat st;
        if (::fstatat(dirFd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        bool changed = false;
        if (st.st_gid != gid) {
            if (::fchownat(dirFd.get(), name.c_str(), static_cast<uid_t>(-1), gid,
                           AT_SYMLINK_NOFOLLOW) < 0) {
                result = Error::fromErrno("chown '" + dir + "/" + name + "'");
                break;
            }
            changed = true;
        }
        if ((st.st_mode & 07777) != 0444) {
            if (::fchmodat(dirFd.get(), name.c_str(), 0444, 0) < 0) {
                result = Error::fromErrno("chmod '" + dir + "/" + name + "'");
                break;
            }
            changed = true;
        }
        if (changed) ++repaired;
    }
    ::closedir(listing);
    if (repaired)
        changes.push_back("group or mode of " + std::to_string(repaired) + " blobs in " + dir +
                          " -> " + groupName(gid) + ", 0444");
    return result;
}

Error notAllowed(const std::string& root, const std::string& groupText)
{
    std::string user = userName(::getuid());
    // Listed in /etc/group but not in this login's groups: usermod was run
    // after the user logged in.
    if (group* g = ::getgrnam(groupText.c_str()))
        for (char** member = g->gr_mem; member && *member; ++member)
            if (user == *member)
                return Error("you may not use the system store '" + root +
                             "' yet: you joined group '" + groupText +
                             "' after logging in; log in again (or run 'newgrp " + groupText +
                             "')");
    return Error("you may not use the system store '" + root + "': join group '" + groupText +
                 "' (sudo usermod -aG " + groupText + " " + user + ") and log in again");
}

} // namespace

SystemPaths SystemPaths::get()
{
    std::string base;
    if (const char* sysroot = std::getenv("BERTH_TEST_SYSROOT"); sysroot && sysroot[0] == '/')
        base = sysroot;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    return {base + "/var/lib/berth", base + "/etc/berth"};
}

Result<StoreKind> parseStoreKind(const std::string& text)
{
    if (text == "user") return StoreKind::User;
    if (text == "system") return StoreKind::System;
    return Error("unknown store '" + text + "' (use user or system)");
}

Result<StoreKind> configuredStoreKind(const SystemPaths& paths)
{
    if (const char* env = std::getenv("BERTH_STORE"); env && env[0])
        return parseStoreKind(env).context("BERTH_STORE");
    std::string file = paths.config + "/berth.conf";
    auto text = readFile(file, 1 << 16);
    if (!text) {
        if (text.error().errnum() == ENOENT) return StoreKind::User;
        return std::move(text).error();
    }
    StoreKind kind = StoreKind::User;
    auto trim = [](std::string s) {
        size_t start = s.find_first_not_of(" \t\r");
        size_t end = s.find_last_not_of(" \t\r");
        return start == std::string::npos ? std::string() : s.substr(start, end - start + 1);
    };
    size_t number = 0;
    size_t pos = 0;
    while (pos < text->size()) {
        size_t newline = text->find('\n', pos);
        std::string line =
            text->substr(pos, newline == std::string::npos ? std::string::npos : newline - pos);
        pos = newline == std::string::npos ? text->size() : newline + 1;
        ++number;
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) continue;
        std::string where = file + ":" + std::to_string(number);
        size_t equals = line.find('=');
        if (equals == std::string::npos) return Error(where + ": expected 'key = value'");
        // Other keys belong to other settings (and to later versions).
        if (trim(line.substr(0, equals)) == "store") {
            BERTH_TRY(kind, parseStoreKind(trim(line.substr(equals + 1))).context(where));
        }
    }
    return kind;
}

Result<std::unique_ptr<Store>> openChosenStore(const std::string& rootOption,
                                               const std::string& storeOption)
{
    if (!rootOption.empty()) {
        if (!storeOption.empty()) return Error("--root and --store exclude each other");
        return Store::open(rootOption);
    }
    SystemPaths paths = SystemPaths::get();
    bool asRoot = ::geteuid() == 0;
    StoreKind kind = StoreKind::User;
    if (!storeOption.empty()) {
        BERTH_TRY(kind, parseStoreKind(storeOption).context("--store"));
    } else if (asRoot) {
        kind = StoreKind::System;
    } else {
        BERTH_TRY(kind, configuredStoreKind(paths));
    }
    if (kind == StoreKind::User) return Store::open(userStoreRoot());
    return Store::openSystem(paths.store, asRoot ? paths.store : userStoreRoot() + "/system");
}

Result<std::optional<gid_t>> groupId(const std::string& name)
{
    errno = 0;
    if (group* g = ::getgrnam(name.c_str())) return std::optional<gid_t>(g->gr_gid);
    // NSS sets errno inconsistently for "no such group"; only a few values
    // mean the lookup itself failed.
    if (errno == EIO || errno == EMFILE || errno == ENFILE || errno == ENOMEM)
        return Error::fromErrno("look up group '" + name + "'");
    return std::optional<gid_t>();
}

Result<std::vector<std::string>> prepareSystemStore(const std::string& root, gid_t gid, bool deep)
{
    Changes changes;
    BERTH_CHECK(makeDirectories(parentOf(root), 0755));
    BERTH_CHECK(ensureDirectory(root, 02750, gid, changes));
    BERTH_CHECK(ensureDirectory(root + "/blobs", 02750, gid, changes));
    BERTH_CHECK(ensureDirectory(root + "/blobs/sha256", 03770, gid, changes));
    BERTH_CHECK(ensureDirectory(root + "/blobs/sha512", 03770, gid, changes));
    BERTH_CHECK(ensureDirectory(root + "/tmp", 03770, gid, changes));
    BERTH_CHECK(ensureDirectory(root + "/index", 03770, gid, changes));

    std::string db = root + "/index/index.db";
    // A store root used before setup kept its index at the top.
    if (!pathExists(db) && pathExists(root + "/index.db")) {
        for (const char* suffix : {"", "-wal", "-shm"}) {
            std::string from = root + "/index.db" + suffix;
            if (pathExists(from) && ::rename(from.c_str(), (db + suffix).c_str()) < 0)
                return Error::fromErrno("move '" + from + "' to '" + db + suffix + "'");
        }
        changes.push_back("moved " + root + "/index.db to " + db);
    }
    struct stat st;
    if (::stat(db.c_str(), &st) < 0 || st.st_size == 0) {
        // The schema and WAL mode are written once here, as root: members
        // cannot create SQLite's rollback journal at first use.
        BERTH_TRY(auto index, ImageIndex::open(db));
        index.reset();
        changes.push_back("initialised the image index " + db);
    }
    for (const char* suffix : {"", "-wal", "-shm"})
        BERTH_CHECK(ensureFile(db + suffix, 0660, gid, changes));
    BERTH_CHECK(ensureFile(root + "/lock", 0660, gid, changes));
    if (deep) {
        BERTH_CHECK(repairBlobs(root + "/blobs/sha256", gid, changes));
        BERTH_CHECK(repairBlobs(root + "/blobs/sha512", gid, changes));
    }
    return changes;
}

Result<std::vector<std::string>> setupSystem(const SystemPaths& paths)
{
    if (::geteuid() != 0) return Error("'berth system setup' needs root: run it with sudo");
    Changes changes;
    gid_t gids[2] = {0, 0};
    const char* names[2] = {kStoreGroup, kAdminGroup};
    for (int i = 0; i < 2; ++i) {
        BERTH_TRY(std::optional<gid_t> gid, groupId(names[i]));
        if (!gid) {
            BERTH_TRY(int status, runProgram({"groupadd", "--system", names[i]})
                                      .context("create group '" + std::string(names[i]) + "'"));
            if (status != 0)
                return Error("groupadd --system " + std::string(names[i]) +
                             " failed with exit status " + std::to_string(status));
            BERTH_TRY(gid, groupId(names[i]));
            if (!gid)
                return Error("group '" + std::string(names[i]) +
                             "' is still missing after groupadd");
            changes.push_back("created group " + std::string(names[i]));
        }
        gids[i] = *gid;
    }
    BERTH_TRY(Changes store, prepareSystemStore(paths.store, gids[0], true));
    changes.insert(changes.end(), store.begin(), store.end());
    // The layout of src/lib/trust/keyring.cpp under /etc/berth/trustedkeys.
    BERTH_CHECK(makeDirectories(parentOf(paths.config), 0755));
    for (const std::string& dir :
         {paths.config, paths.config + "/trustedkeys", paths.config + "/trustedkeys/root.d",
          paths.config + "/trustedkeys/prefix.d"})
        BERTH_CHECK(ensureDirectory(dir, 02775, gids[1], changes));
    return changes;
}

Result<void> checkSystemStoreAccess(const std::string& root)
{
    struct stat st;
    if (::stat(root.c_str(), &st) < 0) {
        if (errno == ENOENT)
            return Error("the system store '" + root +
                         "' does not exist; an administrator creates it with 'sudo berth system "
                         "setup'");
        if (errno == EACCES) return notAllowed(root, kStoreGroup);
        return Error::fromErrno("system store '" + root + "'");
    }
    std::string groupText = groupName(st.st_gid);
    struct Need {
        const char* path;
        int mode;
    };
    for (Need need :
         {Need{"", R_OK | X_OK}, Need{"/blobs/sha256", W_OK | X_OK},
          Need{"/blobs/sha512", W_OK | X_OK}, Need{"/tmp", W_OK | X_OK},
          Need{"/index", W_OK | X_OK}, Need{"/index/index.db", R_OK | W_OK}, Need{"/lock", R_OK}}) {
        std::string path = root + need.path;
        if (::faccessat(AT_FDCWD, path.c_str(), need.mode, AT_EACCESS) == 0) continue;
        if (errno == EACCES || errno == EPERM) {
            // A directory some other way made (root's own store, say) is no
            // shared store yet: joining its group would not be the answer.
            if (groupText != kStoreGroup)
                return Error("the system store '" + root + "' belongs to group '" + groupText +
                             "', not '" + kStoreGroup +
                             "'; an administrator sets it up with 'sudo berth system setup'");
            return notAllowed(root, groupText);
        }
        if (errno == ENOENT)
            return Error("the system store '" + root + "' is incomplete ('" + path +
                         "' is missing); an administrator repairs it with 'sudo berth system "
                         "setup'");
        return Error::fromErrno("system store '" + path + "'");
    }
    return ok();
}

} // namespace berth
