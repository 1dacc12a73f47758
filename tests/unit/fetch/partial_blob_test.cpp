#include <berth/base/file.hpp>
#include <berth/fetch/partial_blob.hpp>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace berth;

namespace
{

struct StoreDir {
    std::string path;
    UniqueFd fd;
    StoreDir()
    {
        char name[] = "/tmp/berth-partial-XXXXXX";
        REQUIRE(::mkdtemp(name));
        path = name;
        REQUIRE(makeDirectories(path + "/tmp"));
        REQUIRE(makeDirectories(path + "/blobs/sha256"));
        auto opened = openDirectory(path);
        REQUIRE(opened);
        fd = std::move(*opened);
    }
    ~StoreDir() { (void)removeTree(path); }
    std::string partial(const Digest& d) const { return path + "/" + PartialBlob::nameFor(d); }
};

Result<void> ignore(std::string_view)
{
    return ok();
}

} // namespace

TEST_CASE("a partial left by one writer is resumed by the next, and verified whole")
{
    StoreDir store;
    std::string blob(300000, 'x');
    for (size_t i = 0; i < blob.size(); ++i)
        blob[i] = static_cast<char>(i * 7919 % 251);
    Digest digest = Hasher::hash(DigestAlgorithm::Sha256, blob);
    int64_t size = static_cast<int64_t>(blob.size());
    {
        auto first = PartialBlob::open(store.fd.get(), digest, size);
        REQUIRE(first);
        CHECK(first->size() == 0);
        REQUIRE(first->write(std::string_view(blob).substr(0, 100000)));
        // Dropped without commit, as by a killed process: the bytes stay.
    }
    CHECK(pathExists(store.partial(digest)));

    auto second = PartialBlob::open(store.fd.get(), digest, size);
    REQUIRE(second);
    REQUIRE(second->size() == 100000);
    // Writing before the replay would leave the first bytes out of the hash.
    CHECK_FALSE(second->write("y"));
    std::string replayed;
    REQUIRE(second->replay([&](std::string_view b) -> Result<void> {
        replayed.append(b);
        return ok();
    }));
    CHECK(replayed == blob.substr(0, 100000));
    REQUIRE(second->write(std::string_view(blob).substr(100000)));
    REQUIRE(second->verify());
    REQUIRE(second->publish());
    CHECK_FALSE(pathExists(store.partial(digest)));
    auto stored = readFile(store.path + "/blobs/" + digest.blobPath());
    REQUIRE(stored);
    CHECK(*stored == blob);
}

TEST_CASE("a partial whose bytes fail the digest is restarted; an empty one is not kept")
{
    StoreDir store;
    std::string blob = "the real blob's bytes";
    Digest digest = Hasher::hash(DigestAlgorithm::Sha256, blob);
    int64_t size = static_cast<int64_t>(blob.size());
    REQUIRE(writeFileAtomic(store.partial(digest), "THE", 0600));
    auto partial = PartialBlob::open(store.fd.get(), digest, size);
    REQUIRE(partial);
    REQUIRE(partial->replay(ignore));
    REQUIRE(partial->write(std::string_view(blob).substr(3)));
    auto bad = partial->verify();
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("digest mismatch") != std::string::npos);
    CHECK_FALSE(partial->publish());
    REQUIRE(partial->restart());
    CHECK(partial->size() == 0);
    REQUIRE(partial->write(blob));
    REQUIRE(partial->verify());
    REQUIRE(partial->publish());

    std::string other = "another blob";
    Digest otherDigest = Hasher::hash(DigestAlgorithm::Sha256, other);
    {
        auto empty = PartialBlob::open(store.fd.get(), otherDigest, 12);
        REQUIRE(empty);
    }
    CHECK_FALSE(pathExists(store.partial(otherDigest)));

    // More bytes than the blob has cannot be a prefix of it.
    REQUIRE(writeFileAtomic(store.partial(otherDigest), std::string(50, 'z'), 0600));
    auto tooLong = PartialBlob::open(store.fd.get(), otherDigest, 12);
    REQUIRE(tooLong);
    CHECK(tooLong->size() == 0);
}

TEST_CASE("a partial this user may not write is replaced, not an error")
{
    if (::geteuid() == 0) return; // root may write anything: nothing to test
    StoreDir store;
    std::string blob = "bytes";
    Digest digest = Hasher::hash(DigestAlgorithm::Sha256, blob);
    // As if another member of a shared store had left it without sharing.
    REQUIRE(writeFileAtomic(store.partial(digest), "byt", 0400));
    auto partial = PartialBlob::open(store.fd.get(), digest, 5);
    REQUIRE(partial);
    CHECK(partial->size() == 0);
    REQUIRE(partial->write(blob));
    REQUIRE(partial->verify());
    REQUIRE(partial->publish());
    CHECK(*readFile(store.path + "/blobs/" + digest.blobPath()) == blob);
}

// The system store's blob directories are sticky: a member cannot replace a
// blob another member published, and must not fail because of it.
TEST_CASE("a blob another member already published in a sticky directory is kept")
{
    if (::geteuid() != 0) return; // it takes two users: root plays both
    const uid_t first = 4242, second = 4343;
    StoreDir store;
    REQUIRE(::chmod(store.path.c_str(), 0755) == 0);
    REQUIRE(::chmod((store.path + "/tmp").c_str(), 01777) == 0);
    REQUIRE(::chmod((store.path + "/blobs/sha256").c_str(), 01777) == 0);
    std::string blob = "bytes";
    Digest digest = Hasher::hash(DigestAlgorithm::Sha256, blob);
    std::string final = store.path + "/blobs/" + digest.blobPath();
    // Publishes the blob as the second member; the child's exit status:
    // 0 published, 1 refused, 2 or 3 the test's own set-up failed.
    auto publishAsSecond = [&]() {
        pid_t pid = ::fork();
        if (pid == 0) {
            if (::setresgid(second, second, second) < 0 || ::setresuid(second, second, second) < 0)
                ::_exit(2);
            auto partial = PartialBlob::open(store.fd.get(), digest, 5);
            if (!partial || !partial->write(blob) || !partial->verify()) ::_exit(3);
            ::_exit(partial->publish() ? 0 : 1);
        }
        int status = -1;
        if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
        return WEXITSTATUS(status);
    };

    SUBCASE("with the same bytes it is kept, and the partial goes")
    {
        REQUIRE(writeFileAtomic(final, blob, 0444));
        REQUIRE(::chown(final.c_str(), first, first) == 0);
        CHECK(publishAsSecond() == 0);
        struct stat st {
        };
        REQUIRE(::stat(final.c_str(), &st) == 0);
        CHECK(st.st_uid == first);
        CHECK(*readFile(final) == blob);
        CHECK(::access(store.partial(digest).c_str(), F_OK) != 0);
    }
    SUBCASE("changed since, it is an error that says so")
    {
        REQUIRE(writeFileAtomic(final, "other", 0444));
        REQUIRE(::chown(final.c_str(), first, first) == 0);
        CHECK(publishAsSecond() == 1);
        CHECK(*readFile(final) == "other");
    }
}
