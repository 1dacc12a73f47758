#include "pty.hpp"

#include <berth/base/file.hpp>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace berth
{

PtyRelay::~PtyRelay()
{
    if (rawMode_) ::tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_);
}

Result<void> PtyRelay::attach(UniqueFd master)
{
    master_ = std::move(master);
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
        termios raw = saved_;
        // Raw: every key goes to the app, which has its own line discipline.
        ::cfmakeraw(&raw);
        if (::tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0)
            return Error::fromErrno("set terminal raw mode");
        rawMode_ = true;
    }
    resize();
    return ok();
}

void PtyRelay::resize()
{
    winsize size{};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0 ||
        ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0)
        ::ioctl(master_.get(), TIOCSWINSZ, &size);
}

bool PtyRelay::pumpOutput()
{
    char buf[16384];
    ssize_t n;
    do {
        n = ::read(master_.get(), buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false; // EIO: every slave fd is closed
    // If our stdout is gone we keep reading so that the app is not blocked.
    (void)writeAll(STDOUT_FILENO, std::string_view(buf, static_cast<size_t>(n)));
    return true;
}

void PtyRelay::drain()
{
    pollfd p{master_.get(), POLLIN, 0};
    while (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && pumpOutput()) {
    }
}

void PtyRelay::pumpInput()
{
    char buf[16384];
    ssize_t n;
    do {
        n = ::read(STDIN_FILENO, buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        // End of input: like a terminal, the app sees end-of-file once
        // (VEOF at the start of a line).
        stdinOpen_ = false;
        char eof = 4;
        [[maybe_unused]] ssize_t w = ::write(master_.get(), &eof, 1);
        return;
    }
    (void)writeAll(master_.get(), std::string_view(buf, static_cast<size_t>(n)));
}

} // namespace berth
