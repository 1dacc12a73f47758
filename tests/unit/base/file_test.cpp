#include <berth/base/file.hpp>
#include <berth/base/regular_file.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace berth;

namespace
{

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

} // namespace

TEST_CASE("writeFileAtomic replaces content and leaves no temporary file")
{
    std::string dir = tempDir();
    REQUIRE(writeFileAtomic(dir + "/f", "one"));
    REQUIRE(writeFileAtomic(dir + "/f", "two"));
    CHECK(*readFile(dir + "/f") == "two");
    int entries = 0;
    auto fd = openDirectory(dir);
    REQUIRE(fd);
    CHECK(removeTree(dir + "/f"));
    CHECK_FALSE(pathExists(dir + "/f"));
    (void)entries;
    CHECK(removeTree(dir));
}

TEST_CASE("readFile refuses files over the limit")
{
    std::string dir = tempDir();
    REQUIRE(writeFileAtomic(dir + "/big", std::string(100, 'x')));
    auto r = readFile(dir + "/big", 10);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("larger than 10 bytes") != std::string::npos);
    CHECK(removeTree(dir));
}

TEST_CASE("removeTree removes nested trees, unreadable directories included, without "
          "following symlinks")
{
    std::string dir = tempDir();
    std::string outside = tempDir();
    REQUIRE(writeFileAtomic(outside + "/keep", "x"));
    REQUIRE(makeDirectories(dir + "/a/b/c"));
    REQUIRE(writeFileAtomic(dir + "/a/b/c/file", "x"));
    REQUIRE(::symlink(outside.c_str(), (dir + "/a/link").c_str()) == 0);
    REQUIRE(::chmod((dir + "/a/b").c_str(), 0) == 0);
    REQUIRE(removeTree(dir));
    CHECK_FALSE(pathExists(dir));
    CHECK(pathExists(outside + "/keep"));
    CHECK(removeTree(outside));
}

TEST_CASE("openRegularFile refuses FIFOs, directories and devices without blocking")
{
    std::string dir = tempDir();
    REQUIRE(::mkfifo((dir + "/fifo").c_str(), 0600) == 0);
    auto fifo = openRegularFile(dir + "/fifo");
    REQUIRE_FALSE(fifo);
    CHECK(fifo.error().message().find("is a FIFO, not a regular file") != std::string::npos);
    auto read = readFile(dir + "/fifo");
    REQUIRE_FALSE(read);
    CHECK(read.error().message().find("FIFO") != std::string::npos);
    CHECK_FALSE(openRegularFile(dir));
    CHECK_FALSE(openRegularFile("/dev/null"));
    REQUIRE(writeFileAtomic(dir + "/file", "data"));
    auto file = openRegularFile(dir + "/file");
    REQUIRE(file);
    // The O_NONBLOCK of the open is gone from what the caller gets.
    CHECK((::fcntl(file->get(), F_GETFL) & O_NONBLOCK) == 0);
    CHECK(*readFile(dir + "/file") == "data");
    REQUIRE(removeTree(dir));
}
