#include <berth/base/child_process.hpp>
#include <berth/base/file.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <doctest/doctest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace berth;

namespace
{

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-child-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

// Sets PATH for one scope and puts the old value back.
class PathGuard
{
public:
    explicit PathGuard(const std::string& path)
    {
        const char* old = std::getenv("PATH");
        had_ = old != nullptr;
        if (had_) old_ = old;
        ::setenv("PATH", path.c_str(), 1);
    }
    ~PathGuard()
    {
        if (had_)
            ::setenv("PATH", old_.c_str(), 1);
        else
            ::unsetenv("PATH");
    }

private:
    bool had_ = false;
    std::string old_;
};

void writeScript(const std::string& path, mode_t mode)
{
    REQUIRE(writeFileAtomic(path, "#!/bin/sh\nexit 7\n"));
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

} // namespace

TEST_CASE("findProgram takes the first executable file in PATH, as execvp would")
{
    std::string dir = tempDir();
    REQUIRE(::mkdir((dir + "/a").c_str(), 0755) == 0);
    REQUIRE(::mkdir((dir + "/b").c_str(), 0755) == 0);
    REQUIRE(::mkdir((dir + "/c").c_str(), 0755) == 0);
    // a/tool is not executable, b/tool is a directory: both are passed over.
    writeScript(dir + "/a/tool", 0644);
    REQUIRE(::mkdir((dir + "/b/tool").c_str(), 0755) == 0);
    writeScript(dir + "/c/tool", 0755);
    {
        PathGuard path(dir + "/missing:" + dir + "/a:" + dir + "/b:" + dir + "/c");
        auto found = findProgram("tool");
        REQUIRE(found);
        CHECK(*found == dir + "/c/tool");
        auto missing = findProgram("no-such-tool");
        REQUIRE_FALSE(missing);
        CHECK(missing.error().errnum() == ENOENT);
    }
    // A name with a slash is not looked up.
    CHECK(*findProgram("./x/tool") == "./x/tool");
    CHECK(removeTree(dir));
}

TEST_CASE("spawn runs a program by path and reports an exec failure as its error")
{
    std::string dir = tempDir();
    writeScript(dir + "/tool", 0755);
    auto child = ChildProcess::spawn(dir + "/tool", {"tool"});
    REQUIRE(child);
    CHECK(child->pid() > 0);
    CHECK(child->pidFd() >= 0);
    auto status = child->wait();
    REQUIRE(status);
    CHECK(*status == 7);

    auto args = ChildProcess::spawn("/bin/sh", {"sh", "-c", "exit $(($1 + $2))", "sh", "2", "3"});
    REQUIRE(args);
    CHECK(*args->wait() == 5);

    auto missing = ChildProcess::spawn(dir + "/missing", {"missing"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().errnum() == ENOENT);
    CHECK(removeTree(dir));
}

TEST_CASE("a spawned child that is dropped unwaited is killed and reaped")
{
    pid_t pid;
    {
        auto child = ChildProcess::spawn("/bin/sh", {"sh", "-c", "sleep 60"});
        REQUIRE(child);
        pid = child->pid();
    }
    // Reaped: the pid is no longer our child.
    CHECK(::kill(pid, 0) < 0);
}
