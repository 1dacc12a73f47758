#include <berth/base/file.hpp>
#include <berth/fetch/blob_fetch_lock.hpp>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace berth;

namespace
{

struct StoreDir {
    std::string path;
    UniqueFd fd;
    StoreDir()
    {
        char name[] = "/tmp/berth-fetch-lock-XXXXXX";
        REQUIRE(::mkdtemp(name));
        path = name;
        REQUIRE(makeDirectories(path + "/tmp"));
        auto opened = openDirectory(path);
        REQUIRE(opened);
        fd = std::move(*opened);
    }
    ~StoreDir() { (void)removeTree(path); }
    bool lockFileExists(const Digest& d) const
    {
        return ::access((path + "/" + blobFetchLockName(d)).c_str(), F_OK) == 0;
    }
};

Digest digestOf(const char* text)
{
    return Hasher::hash(DigestAlgorithm::Sha256, text);
}

// Whether a child process (another berth) gets the lock now.
bool otherProcessGetsIt(int storeFd, const Digest& d)
{
    pid_t pid = ::fork();
    if (pid == 0) {
        int code;
        {
            // Let go as a berth that finishes does (one that dies leaves
            // the file to the next fetch's sweep).
            auto lock = BlobFetchLock::tryAcquire(storeFd, d);
            code = lock && lock->isHeld() ? 0 : 1;
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

} // namespace

TEST_CASE("a blob's fetch lock excludes other processes and leaves no file behind")
{
    StoreDir store;
    Digest d = digestOf("layer");
    {
        auto lock = BlobFetchLock::tryAcquire(store.fd.get(), d);
        REQUIRE(lock);
        CHECK(lock->isHeld());
        CHECK(store.lockFileExists(d));
        CHECK_FALSE(otherProcessGetsIt(store.fd.get(), d));
    }
    CHECK_FALSE(store.lockFileExists(d));
    CHECK(otherProcessGetsIt(store.fd.get(), d));
    CHECK_FALSE(store.lockFileExists(d));
}

TEST_CASE("asking for a fetch lock this process holds is an error, not a wait")
{
    StoreDir store;
    Digest d = digestOf("twice");
    auto first = BlobFetchLock::tryAcquire(store.fd.get(), d);
    REQUIRE(first);
    REQUIRE(first->isHeld());
    auto again = BlobFetchLock::acquire(store.fd.get(), d);
    CHECK_FALSE(again);
    first->release();
    auto later = BlobFetchLock::acquire(store.fd.get(), d);
    REQUIRE(later);
    CHECK(later->isHeld());
}

TEST_CASE("a lock file removed by its holder is not taken for the current one")
{
    StoreDir store;
    Digest d = digestOf("replaced");
    std::string name = store.path + "/" + blobFetchLockName(d);
    // A waiter that opened the old file before its holder removed it.
    UniqueFd stale(::open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(stale.isValid());
    REQUIRE(::unlink(name.c_str()) == 0);
    REQUIRE(::flock(stale.get(), LOCK_EX) == 0);
    // The stale file is locked, yet the name is free: the lock goes by name.
    auto lock = BlobFetchLock::tryAcquire(store.fd.get(), d);
    REQUIRE(lock);
    CHECK(lock->isHeld());
}

TEST_CASE("berths taking and letting go of one fetch lock at once all get it")
{
    // Each holder removes the lock file as it lets go; one that opens the
    // name in between must make it again, not fail (twenty concurrent runs
    // of one image did, now and then).
    StoreDir store;
    Digest d = digestOf("contended");
    std::vector<pid_t> children;
    for (int i = 0; i < 8; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            for (int round = 0; round < 300; ++round) {
                auto lock = BlobFetchLock::acquire(store.fd.get(), d);
                if (!lock || !lock->isHeld()) ::_exit(1);
            }
            ::_exit(0);
        }
        children.push_back(pid);
    }
    int failed = 0;
    for (pid_t pid : children) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
    CHECK(failed == 0);
}
