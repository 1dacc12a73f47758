#include <berth/base/file.hpp>
#include <berth/store/system_store.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

using namespace berth;

namespace
{

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-system-store-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

// Sets an environment variable for one test case.
class ScopedEnv
{
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name)
    {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv()
    {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

// The layout `berth system setup` makes, with the modes it uses, but owned
// by whoever runs the test (setup itself needs root).
std::string makeSharedLayout(const std::string& base)
{
    std::string root = base + "/shared";
    REQUIRE(::mkdir(root.c_str(), 02750) == 0);
    for (const char* dir : {"/blobs", "/blobs/sha256", "/blobs/sha512", "/tmp", "/index"})
        REQUIRE(::mkdir((root + dir).c_str(), 0770) == 0);
    REQUIRE(ImageIndex::open(root + "/index/index.db"));
    REQUIRE(writeFileAtomic(root + "/lock", "", 0660));
    return root;
}

int modeOf(const std::string& path)
{
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

} // namespace

TEST_CASE("--store takes user or system, and nothing else")
{
    CHECK(*parseStoreKind("user") == StoreKind::User);
    CHECK(*parseStoreKind("system") == StoreKind::System);
    auto bad = parseStoreKind("shared");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("use user or system") != std::string::npos);
}

TEST_CASE("the test sysroot moves /var/lib/berth and /etc/berth, and only an absolute one")
{
    {
        ScopedEnv env("BERTH_TEST_SYSROOT", "/tmp/sysroot/");
        CHECK(SystemPaths::get().store == "/tmp/sysroot/var/lib/berth");
        CHECK(SystemPaths::get().config == "/tmp/sysroot/etc/berth");
    }
    ScopedEnv env("BERTH_TEST_SYSROOT", "relative");
    CHECK(SystemPaths::get().store == "/var/lib/berth");
    CHECK(SystemPaths::get().config == "/etc/berth");
}

TEST_CASE("the default store comes from BERTH_STORE, else berth.conf, else the user's own")
{
    std::string base = tempDir();
    ScopedEnv sysroot("BERTH_TEST_SYSROOT", base);
    ScopedEnv none("BERTH_STORE", "");
    SystemPaths paths = SystemPaths::get();
    CHECK(*configuredStoreKind(paths) == StoreKind::User); // no berth.conf

    REQUIRE(makeDirectories(paths.config));
    REQUIRE(writeFileAtomic(paths.config + "/berth.conf",
                            "# shared machine\n\nother = 1\n  store =  system  # for everyone\n"));
    CHECK(*configuredStoreKind(paths) == StoreKind::System);
    {
        ScopedEnv env("BERTH_STORE", "user");
        CHECK(*configuredStoreKind(paths) == StoreKind::User);
    }

    REQUIRE(writeFileAtomic(paths.config + "/berth.conf", "store = everywhere\n"));
    auto bad = configuredStoreKind(paths);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("berth.conf:1") != std::string::npos);
    REQUIRE(writeFileAtomic(paths.config + "/berth.conf", "\nstore system\n"));
    bad = configuredStoreKind(paths);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("berth.conf:2: expected 'key = value'") != std::string::npos);
    REQUIRE(removeTree(base));
}

TEST_CASE("a missing system store names the setup command")
{
    if (::geteuid() == 0) {
        MESSAGE("skipped as root, which creates the system store");
        return;
    }
    std::string base = tempDir();
    auto store = Store::openSystem(base + "/missing", base + "/own");
    REQUIRE_FALSE(store);
    CHECK(store.error().message().find("does not exist") != std::string::npos);
    CHECK(store.error().message().find("berth system setup") != std::string::npos);

    // Present but incomplete (say a half-finished setup).
    REQUIRE(::mkdir((base + "/half").c_str(), 0750) == 0);
    store = Store::openSystem(base + "/half", base + "/own");
    REQUIRE_FALSE(store);
    CHECK(store.error().message().find("is incomplete") != std::string::npos);
    REQUIRE(removeTree(base));
}

TEST_CASE("the system store keeps trees and pods apart and re-hashes blobs when used")
{
    if (::geteuid() == 0) {
        MESSAGE("skipped as root, which repairs the layout to root:berth");
        return;
    }
    std::string base = tempDir();
    std::string shared = makeSharedLayout(base);
    auto opened = Store::openSystem(shared, base + "/own");
    REQUIRE(opened);
    Store& store = **opened;
    CHECK(store.isSystem());
    CHECK(store.root() == shared);
    CHECK(store.privatePath("trees") == base + "/own/trees");
    CHECK(pathExists(base + "/own/trees"));
    CHECK(pathExists(base + "/own/pods"));
    CHECK_FALSE(pathExists(shared + "/trees"));
    CHECK_FALSE(pathExists(shared + "/pods"));

    auto config = store.putBlob("{\"config\":1}");
    auto layer = store.putBlob(std::string(300000, 'l'));
    REQUIRE(config);
    REQUIRE(layer);
    CHECK(modeOf(store.blobPath(*layer)) == 0444);
    CHECK(store.openBlob(*layer));
    CHECK(*store.readBlob(*config) == "{\"config\":1}");

    // The member who stored a blob owns it and can change it.
    for (const Digest& digest : {*config, *layer}) {
        std::string path = store.blobPath(digest);
        REQUIRE(::chmod(path.c_str(), 0644) == 0);
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND));
        REQUIRE(fd);
        REQUIRE(::write(fd.get(), "x", 1) == 1);
    }
    auto refused = store.openBlob(*layer);
    REQUIRE_FALSE(refused);
    std::string message = refused.error().message();
    CHECK(message.find("blob " + layer->str() + " in the system store '" + shared +
                       "' was modified after it was stored") != std::string::npos);
    CHECK(message.find(store.blobPath(*layer)) != std::string::npos);
    auto unread = store.readBlob(*config);
    REQUIRE_FALSE(unread);
    CHECK(unread.error().message().find("was modified after it was stored") != std::string::npos);
    REQUIRE(removeTree(base));
}

TEST_CASE("the index of the system store is never created by a member, and keeps its WAL files")
{
    if (::geteuid() == 0) {
        MESSAGE("skipped as root, which creates the index");
        return;
    }
    std::string base = tempDir();
    std::string shared = makeSharedLayout(base);
    REQUIRE(::unlink((shared + "/index/index.db").c_str()) == 0);
    auto store = Store::openSystem(shared, base + "/own");
    REQUIRE_FALSE(store);
    CHECK(store.error().message().find("index.db' is missing") != std::string::npos);
    CHECK_FALSE(pathExists(shared + "/index/index.db"));

    REQUIRE(::mkdir((base + "/again").c_str(), 0700) == 0);
    shared = makeSharedLayout(base + "/again");
    {
        auto opened = Store::openSystem(shared, base + "/own");
        REQUIRE(opened);
    }
    // Gone after close they would have to be created again, by a member,
    // with that member's ownership.
    CHECK(pathExists(shared + "/index/index.db-wal"));
    CHECK(pathExists(shared + "/index/index.db-shm"));
    REQUIRE(removeTree(base));
}

TEST_CASE("lock files are group-writable whatever the umask")
{
    std::string base = tempDir();
    auto dir = openDirectory(base);
    REQUIRE(dir);
    mode_t old = ::umask(077);
    auto lock = FileLock::acquire(dir->get(), "a.lock", FileLock::Mode::Shared);
    ::umask(old);
    REQUIRE(lock);
    CHECK(modeOf(base + "/a.lock") == 0660);
    REQUIRE(removeTree(base));
}
