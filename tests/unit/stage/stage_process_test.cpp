#include <berth/base/file.hpp>
#include <berth/stage/landlock.hpp>
#include <berth/stage/stage_message.hpp>
#include <berth/stage/stage_process.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace berth;

namespace
{

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-stage-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

// A stage allowed to write only `dir`, with nothing else readable.
SandboxPolicy writeOnly(const std::string& dir)
{
    SandboxPolicy policy;
    policy.stage = "test";
    policy.paths.write = {dir};
    return policy;
}

// errno of creating PATH, or 0 when it was created.
int createErrno(const std::string& path)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
}

// errno of opening PATH for reading, or 0.
int openErrno(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
}

} // namespace

TEST_CASE("a stage's answer and its error come back to stage0")
{
    SandboxPolicy policy;
    policy.stage = "test";
    auto answer = runStage(policy, []() -> Result<std::string> { return std::string("a\0b", 3); });
    REQUIRE(answer);
    CHECK(*answer == std::string("a\0b", 3));

    auto failed = runStage(policy, []() -> Result<std::string> {
        return Error::fromErrno("open 'x'", ENOENT).addContext("load");
    });
    REQUIRE(!failed);
    CHECK(failed.error().errnum() == ENOENT);
    CHECK(failed.error().message() == "load: open 'x': No such file or directory");
}

TEST_CASE("a stage that dies without answering is an error naming it")
{
    SandboxPolicy policy;
    policy.stage = "crashy";
    auto died = runStage(policy, []() -> Result<std::string> {
        ::raise(SIGKILL);
        return std::string("never");
    });
    REQUIRE(!died);
    CHECK(died.error().message().find("crashy stage ended with status 137") != std::string::npos);
}

TEST_CASE("Landlock confines a stage's writes to its directory; stage0 is not confined")
{
    if (landlockAbi() == 0) {
        MESSAGE("skipped: the kernel has no Landlock");
        return;
    }
    std::string allowed = tempDir();
    std::string other = tempDir();
    auto answer = runStage(writeOnly(allowed), [&]() -> Result<std::string> {
        return std::to_string(createErrno(allowed + "/in")) + " " +
               std::to_string(createErrno(other + "/out")) + " " +
               std::to_string(openErrno("/etc/hostname"));
    });
    REQUIRE(answer);
    CHECK(*answer == "0 " + std::to_string(EACCES) + " " + std::to_string(EACCES));
    CHECK(pathExists(allowed + "/in"));
    CHECK(!pathExists(other + "/out"));
    // The parent kept all its rights.
    CHECK(createErrno(other + "/parent") == 0);
    CHECK(removeTree(allowed));
    CHECK(removeTree(other));
}

TEST_CASE("denyNetwork: no inet socket in the stage, UNIX sockets still work")
{
    SandboxPolicy policy = writeOnly("/nonexistent-berth-test");
    policy.denyNetwork = true;
    policy.newNetworkNamespace = true;
    auto answer = runStage(policy, []() -> Result<std::string> {
        int inet = ::socket(AF_INET, SOCK_STREAM, 0);
        int inetErr = inet < 0 ? errno : 0;
        int inet6 = ::socket(AF_INET6, SOCK_DGRAM, 0);
        int inet6Err = inet6 < 0 ? errno : 0;
        int fds[2];
        int unixErr = ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0 ? errno : 0;
        return std::to_string(inetErr) + " " + std::to_string(inet6Err) + " " +
               std::to_string(unixErr);
    });
    REQUIRE(answer);
    SandboxReport report = probeSandbox(policy);
    if (!report.seccomp) {
        MESSAGE("skipped: built without libseccomp");
        return;
    }
    CHECK(*answer == std::to_string(EPERM) + " " + std::to_string(EPERM) + " 0");
}

TEST_CASE("stage messages carry any bytes and refuse a truncated answer")
{
    StageMessageWriter out;
    out.put(std::string_view("\0\xff\n", 3));
    out.put(int64_t{-42});
    out.put("");
    std::string bytes = out.take();
    StageMessageReader in(bytes);
    CHECK(*in.next() == std::string_view("\0\xff\n", 3));
    CHECK(*in.nextNumber() == -42);
    CHECK(in.next()->empty());
    CHECK(in.atEnd());
    CHECK(!in.next());

    // The first field's length says 3; only 2 bytes follow.
    StageMessageReader cut(std::string_view(bytes).substr(0, 10));
    CHECK(!cut.next());
    StageMessageReader notNumber(bytes);
    CHECK(!notNumber.nextNumber());
}
