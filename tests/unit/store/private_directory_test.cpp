#include <berth/base/file.hpp>
#include <berth/store/blob_writer.hpp>
#include <berth/store/private_directory.hpp>
#include <berth/store/store.hpp>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace berth;

namespace
{

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-private-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

mode_t modeOf(const std::string& path)
{
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

} // namespace

TEST_CASE("a new store and its missing parents are made 0700")
{
    std::string base = tempDir();
    REQUIRE(Store::open(base + "/a/b/store"));
    for (const char* dir : {"/a", "/a/b", "/a/b/store", "/a/b/store/trees", "/a/b/store/blobs"})
        CHECK(modeOf(base + dir) == 0700);
    CHECK(removeTree(base));
}

TEST_CASE("a store readable by others is repaired, one writable by others is refused")
{
    std::string base = tempDir();
    std::string store = base + "/store";
    REQUIRE(::mkdir(store.c_str(), 0700) == 0);
    REQUIRE(::chmod(store.c_str(), 0750) == 0);
    REQUIRE(Store::open(store));
    CHECK(modeOf(store) == 0700);

    REQUIRE(::chmod(store.c_str(), 0770) == 0);
    auto refused = Store::open(store);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("writable by other users") != std::string::npos);
    CHECK(modeOf(store) == 0770);
    CHECK(removeTree(base));
}

TEST_CASE("the way to a store: writable by others is refused unless sticky")
{
    std::string base = tempDir();
    std::string open = base + "/open";
    REQUIRE(::mkdir(open.c_str(), 0700) == 0);
    REQUIRE(::chmod(open.c_str(), 0777) == 0);
    auto refused = checkPathAbove(open + "/store");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("'" + open + "', on the way to") != std::string::npos);
    CHECK_FALSE(pathExists(open + "/store"));
    CHECK_FALSE(Store::open(open + "/store"));
    CHECK_FALSE(pathExists(open + "/store"));

    REQUIRE(::chmod(open.c_str(), 01777) == 0);
    CHECK(checkPathAbove(open + "/store"));
    CHECK(Store::open(open + "/store"));

    // A link of ours is followed, and where it leads is checked too.
    REQUIRE(::chmod(open.c_str(), 0777) == 0);
    std::string link = base + "/link";
    REQUIRE(::symlink(open.c_str(), link.c_str()) == 0);
    CHECK_FALSE(checkPathAbove(link + "/store/x"));
    REQUIRE(::chmod(open.c_str(), 0700) == 0);
    CHECK(checkPathAbove(link + "/store/x"));
    CHECK(removeTree(base));
}

TEST_CASE("a name held by other bytes sends a verified blob to the private part")
{
    std::string base = tempDir();
    std::string shared = base + "/shared", mine = base + "/mine";
    for (const auto& dir : {shared + "/blobs/sha256", shared + "/tmp", mine + "/blobs/sha256"})
        REQUIRE(makeDirectories(dir, 0700));
    Digest digest = Hasher::hash(DigestAlgorithm::Sha256, "good bytes");
    // Something else under the name that cannot be replaced: a directory
    // (in the system store, another member's file in a sticky directory).
    std::string taken = shared + "/blobs/" + digest.blobPath();
    REQUIRE(::mkdir(taken.c_str(), 0700) == 0);
    REQUIRE(writeFileAtomic(shared + "/tmp/staged", "good bytes", 0444));
    auto sharedFd = openDirectory(shared);
    auto mineFd = openDirectory(mine);
    REQUIRE(sharedFd);
    REQUIRE(mineFd);

    // Without a private part the fetch fails, naming the blob.
    CHECK_FALSE(publishBlob(sharedFd->get(), "tmp/staged", digest));
    REQUIRE(publishBlob(sharedFd->get(), "tmp/staged", digest, mineFd->get()));
    auto copy = readFile(mine + "/blobs/" + digest.blobPath());
    REQUIRE(copy);
    CHECK(*copy == "good bytes");
    CHECK_FALSE(pathExists(shared + "/tmp/staged"));
    CHECK(removeTree(base));
}
