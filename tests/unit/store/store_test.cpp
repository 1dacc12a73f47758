#include <berth/base/file.hpp>
#include <berth/store/store.hpp>

#include <doctest/doctest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace berth;

namespace {

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-store-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

int countEntries(const std::string& dir)
{
    int n = 0;
    DIR* d = ::opendir(dir.c_str());
    REQUIRE(d);
    while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
            ++n;
    ::closedir(d);
    return n;
}

} // namespace

TEST_CASE("a blob appears under its digest only after commit, and only if the digest matches")
{
    std::string root = tempDir();
    auto store = Store::open(root);
    REQUIRE(store);
    Digest expected = Hasher::hash(DigestAlgorithm::Sha256, "hello");

    auto writer = (*store)->newBlob();
    REQUIRE(writer);
    REQUIRE(writer->write("hello"));
    CHECK_FALSE((*store)->hasBlob(expected));
    auto committed = writer->commit(expected, 5);
    REQUIRE(committed);
    CHECK(*committed == expected);
    CHECK((*store)->hasBlob(expected));
    CHECK(*(*store)->readBlob(expected) == "hello");

    auto wrong = (*store)->newBlob();
    REQUIRE(wrong);
    REQUIRE(wrong->write("tampered"));
    Digest other = Hasher::hash(DigestAlgorithm::Sha256, "original");
    auto refused = wrong->commit(other);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("digest mismatch") != std::string::npos);
    CHECK_FALSE((*store)->hasBlob(other));
    CHECK(countEntries(root + "/tmp") == 0);
    CHECK(removeTree(root));
}

TEST_CASE("a writer dropped before commit (a crash between write and rename) leaves nothing")
{
    std::string root = tempDir();
    auto store = Store::open(root);
    REQUIRE(store);
    Digest d = Hasher::hash(DigestAlgorithm::Sha256, "partial");
    {
        auto writer = (*store)->newBlob();
        REQUIRE(writer);
        REQUIRE(writer->write("part"));
    }
    CHECK_FALSE((*store)->hasBlob(d));
    CHECK(countEntries(root + "/blobs/sha256") == 0);
    CHECK(countEntries(root + "/tmp") == 0);

    // A real crash: the writer process dies with SIGKILL before commit. The
    // final name never appears; the store opens and works afterwards.
    pid_t pid = ::fork();
    if (pid == 0) {
        auto s = Store::open(root);
        auto w = (*s)->newBlob();
        (void)w->write("partial");
        ::kill(::getpid(), SIGKILL);
        ::_exit(0);
    }
    int status;
    ::waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK_FALSE((*store)->hasBlob(d));
    auto again = Store::open(root);
    REQUIRE(again);
    REQUIRE((*again)->putBlob("partial"));
    CHECK((*again)->hasBlob(d));
    CHECK(removeTree(root));
}

TEST_CASE("concurrent writers of the same blob all succeed and leave one blob")
{
    std::string root = tempDir();
    REQUIRE(Store::open(root));
    std::string content(1 << 20, 'z');
    std::vector<pid_t> children;
    for (int i = 0; i < 8; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            auto s = Store::open(root);
            if (!s)
                ::_exit(1);
            auto d = (*s)->putBlob(content);
            ::_exit(d ? 0 : 2);
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int status;
        ::waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    CHECK(countEntries(root + "/blobs/sha256") == 1);
    CHECK(countEntries(root + "/tmp") == 0);
    CHECK(removeTree(root));
}

TEST_CASE("readBlob detects a blob modified in place")
{
    std::string root = tempDir();
    auto store = Store::open(root);
    REQUIRE(store);
    auto d = (*store)->putBlob("{\"a\":1}");
    REQUIRE(d);
    std::string path = (*store)->blobPath(*d);
    ::chmod(path.c_str(), 0644);
    REQUIRE(writeFileAtomic(path, "{\"a\":2}"));
    auto r = (*store)->readBlob(*d);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("corrupt") != std::string::npos);
    CHECK(removeTree(root));
}
