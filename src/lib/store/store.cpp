#include <berth/base/file.hpp>
#include <berth/store/private_directory.hpp>
#include <berth/store/store.hpp>
#include <berth/store/system_store.hpp>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth
{

std::string userStoreRoot()
{
    if (const char* data = std::getenv("XDG_DATA_HOME"); data && data[0] == '/')
        return std::string(data) + "/berth";
    const char* home = std::getenv("HOME");
    std::string homeDir = home && home[0] ? home : "";
    if (homeDir.empty())
        if (passwd* pw = ::getpwuid(::getuid())) homeDir = pw->pw_dir;
    return homeDir + "/.local/share/berth";
}

std::string defaultStoreRoot()
{
    return ::geteuid() == 0 ? SystemPaths::get().store : userStoreRoot();
}

Result<std::string> runtimeDirectory()
{
    std::string dir;
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && xdg[0] == '/' && pathExists(xdg))
        dir = std::string(xdg) + "/berth";
    else if (::geteuid() == 0)
        dir = "/run/berth";
    else
        dir = "/tmp/berth-" + std::to_string(::getuid());
    // Whoever may swap a directory above it could swap it too.
    BERTH_CHECK(checkPathAbove(dir));
    if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST)
        return Error::fromErrno("create runtime directory '" + dir + "'");
    struct stat st;
    if (::lstat(dir.c_str(), &st) < 0) return Error::fromErrno("stat '" + dir + "'");
    // /tmp is shared: another user could have made this path first.
    if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
        return Error("runtime directory '" + dir +
                     "' is not a private directory owned by you (remove it, or set "
                     "XDG_RUNTIME_DIR)");
    return dir;
}

namespace
{

// Opens the directory `path` (made 0700 with any missing parents first) as
// the caller's private directory: checked above and at it, so that nobody
// else can read, change or swap what is stored there.
Result<UniqueFd> openPrivateRoot(const std::string& path)
{
    // Before anything is made: a path others control is refused, not used.
    BERTH_CHECK(checkPathAbove(path));
    auto fd = openPath(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!fd && fd.error().errnum() == ENOENT) {
        // Missing parents too are made 0700: nobody else needs to enter them.
        BERTH_CHECK(makeDirectories(path, 0700).context("create store '" + path + "'"));
        fd = openPath(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    BERTH_TRY(UniqueFd dir, std::move(fd).context("open store '" + path + "'"));
    // The fd, not the path: what was checked is what is used.
    BERTH_CHECK(checkPrivateDirectory(dir.get(), path));
    return dir;
}

Result<void> makeSubdirectories(int dirFd, const std::string& root,
                                std::initializer_list<const char*> subdirectories)
{
    for (const char* sub : subdirectories)
        if (::mkdirat(dirFd, sub, 0700) < 0 && errno != EEXIST)
            return Error::fromErrno("create '" + root + "/" + sub + "'");
    return ok();
}

} // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& root)
{
    if (root.empty() || root[0] != '/')
        return Error("store root '" + root + "' must be an absolute path");
    std::unique_ptr<Store> store(new Store());
    BERTH_TRY(store->rootFd_, openPrivateRoot(root));
    BERTH_CHECK(
        makeSubdirectories(store->rootFd_.get(), root,
                           {"blobs", "blobs/sha256", "blobs/sha512", "tmp", "trees", "pods"}));
    store->root_ = root;
    store->privateRoot_ = root;
    BERTH_TRY(store->index_, ImageIndex::open(root + "/index.db"));
    return store;
}

Result<std::unique_ptr<Store>> Store::openSystem(const std::string& sharedRoot,
                                                 const std::string& privateRoot)
{
    if (sharedRoot.empty() || sharedRoot[0] != '/' || privateRoot.empty() || privateRoot[0] != '/')
        return Error("store roots '" + sharedRoot + "' and '" + privateRoot +
                     "' must be absolute paths");
    // Root needs no group: it makes (or repairs) what setup would.
    if (::geteuid() == 0) {
        gid_t gid = 0;
        BERTH_TRY(std::optional<gid_t> storeGroup, groupId(kStoreGroup));
        if (storeGroup) gid = *storeGroup;
        BERTH_CHECK(prepareSystemStore(sharedRoot, gid, false));
    }
    std::unique_ptr<Store> store(new Store());
    store->root_ = sharedRoot;
    store->privateRoot_ = privateRoot;
    store->system_ = true;
    BERTH_CHECK(checkSystemStoreAccess(sharedRoot));
    BERTH_TRY(store->rootFd_, openDirectory(sharedRoot));
    // Root's part is the shared store itself, which keeps its group rules.
    if (privateRoot != sharedRoot) {
        BERTH_TRY(store->privateFd_,
                  openPrivateRoot(privateRoot)
                      .context("your part of the system store, '" + privateRoot + "'"));
        BERTH_CHECK(makeSubdirectories(store->privateFd_.get(), privateRoot,
                                       {"trees", "pods", "blobs", "blobs/sha256", "blobs/sha512"}));
    }
    BERTH_TRY(store->index_, ImageIndex::open(sharedRoot + "/index/index.db", true));
    return store;
}

std::string Store::blobPath(const Digest& digest) const
{
    return root_ + "/blobs/" + digest.blobPath();
}

bool Store::hasBlob(const Digest& digest) const
{
    struct stat st;
    std::string name = "blobs/" + digest.blobPath();
    if (privateFd_ && ::fstatat(privateFd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode))
        return true;
    return ::fstatat(rootFd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st.st_mode);
}

bool Store::hasVerifiedBlob(const Digest& digest) const
{
    if (!system_) return hasBlob(digest);
    // openBlob re-hashes the shared blob in the system store.
    return openBlob(digest).has_value();
}

Error Store::corruptBlob(const Digest& digest, const Digest& actual) const
{
    if (system_)
        return Error("blob " + digest.str() + " in the system store '" + root_ +
                     "' was modified after it was stored (its content hashes to " + actual.str() +
                     "); refusing to use it: fetch the image again to keep a verified copy of " +
                     "your own, and ask an administrator to remove " + blobPath(digest));
    return Error("blob " + digest.str() + " in the store is corrupt (its content hashes to " +
                 actual.str() + "); remove the image and fetch it again");
}

Result<UniqueFd> Store::openBlob(const Digest& digest) const
{
    std::string name = "blobs/" + digest.blobPath();
    // A member's own copy, made from bytes it checked, in a directory
    // nobody else may enter: kept because the shared name held other bytes.
    if (privateFd_) {
        auto own = openAt(privateFd_.get(), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (own) return own;
    }
    BERTH_TRY(UniqueFd fd, openAt(rootFd_.get(), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                               .context("blob " + digest.str()));
    if (system_) {
        // Another member owns this file and could have changed it since.
        // Readers of the fd verify again while they stream (a change after
        // this check is caught there); this check makes the error clear and
        // comes before anything is built from the bytes.
        BERTH_TRY(
            Digest actual,
            Hasher::hashFile(digest.algorithm(), fd.get()).context("read blob " + digest.str()));
        if (!(actual == digest)) return corruptBlob(digest, actual);
    }
    return fd;
}

Result<std::string> Store::readBlob(const Digest& digest, size_t maxBytes) const
{
    std::string name = "blobs/" + digest.blobPath();
    auto fd = privateFd_ ? openAt(privateFd_.get(), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                         : Result<UniqueFd>(Error("no private part", ENOENT));
    if (!fd) fd = openAt(rootFd_.get(), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    BERTH_TRY(UniqueFd opened, std::move(fd).context("blob " + digest.str()));
    BERTH_TRY(std::string data,
              readAll(opened.get(), maxBytes).context("read blob " + digest.str()));
    Digest actual = Hasher::hash(digest.algorithm(), data);
    if (!(actual == digest)) return corruptBlob(digest, actual);
    return data;
}

Result<BlobWriter> Store::newBlob(DigestAlgorithm algorithm)
{
    std::string name = "tmp/blob-" + randomHex(8);
    BERTH_TRY(UniqueFd fd, openAt(rootFd_.get(), name, O_WRONLY | O_CREAT | O_EXCL, 0600));
    return BlobWriter(rootFd_.get(), name, std::move(fd), algorithm, privateFd_.get());
}

Result<Digest> Store::putBlob(std::string_view data, DigestAlgorithm algorithm)
{
    Digest digest = Hasher::hash(algorithm, data);
    if (hasVerifiedBlob(digest)) return digest;
    BERTH_TRY(BlobWriter writer, newBlob(algorithm));
    BERTH_CHECK(writer.write(data));
    return writer.commit(digest);
}

Result<void> Store::removeBlob(const Digest& digest)
{
    if (::unlinkat(rootFd_.get(), ("blobs/" + digest.blobPath()).c_str(), 0) < 0 && errno != ENOENT)
        return Error::fromErrno("remove blob " + digest.str());
    return ok();
}

Result<std::string> Store::makeTempDirectory(const std::string& prefix)
{
    std::string name = root_ + "/tmp/" + prefix + "-" + randomHex(8);
    if (::mkdir(name.c_str(), 0700) < 0) return Error::fromErrno("create '" + name + "'");
    return name;
}

Result<FileLock> Store::lock(FileLock::Mode mode)
{
    return FileLock::acquire(rootFd_.get(), "lock", mode).context("lock store '" + root_ + "'");
}

} // namespace berth
