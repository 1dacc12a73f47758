#include <berth/run/inherited_fds.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace berth
{

namespace
{

// A decimal number with nothing else around it, or -1.
long strictNumber(const char* text, long max)
{
    if (!text || !*text || std::strlen(text) > 10) return -1;
    long value = 0;
    for (const char* c = text; *c; ++c) {
        if (*c < '0' || *c > '9') return -1;
        value = value * 10 + (*c - '0');
    }
    return value > max ? -1 : value;
}

bool isOpen(int fd)
{
    return ::fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

} // namespace

Result<void> checkInheritedFds()
{
    for (int fd = 0; fd < 3; ++fd) {
        if (isOpen(fd)) continue;
        // The lowest free number: this one, as the lower ones are open.
        int null = ::open("/dev/null", O_RDWR);
        if (null < 0)
            return Error::fromErrno("open /dev/null in place of closed fd " + std::to_string(fd));
        if (null != fd) {
            ::close(null);
            return Error("fd " + std::to_string(fd) +
                         " is closed and could not be opened on /dev/null");
        }
    }
    // sd_listen_fds(3): the fds are berth's only when LISTEN_PID names it;
    // planning reads the variables again and rejects a malformed count.
    long pid = strictNumber(std::getenv("LISTEN_PID"), 0x7fffffff);
    long count = strictNumber(std::getenv("LISTEN_FDS"), 4096);
    if (pid != static_cast<long>(::getpid()) || count <= 0) return ok();
    for (int fd = 3; fd < 3 + count; ++fd)
        if (!isOpen(fd))
            return Error("LISTEN_FDS=" + std::to_string(count) + " names berth's pid, but fd " +
                         std::to_string(fd) +
                         " is not open (start berth from a systemd socket unit, or unset "
                         "LISTEN_FDS and LISTEN_PID)");
    return ok();
}

} // namespace berth
