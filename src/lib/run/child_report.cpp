#include "child_report.hpp"

#include <cerrno>
#include <sys/socket.h>

namespace berth
{

namespace
{

void copyText(char* dst, size_t size, const char* src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < size; ++i)
        dst[i] = src[i];
    dst[i] = '\0';
}

} // namespace

ChildError childFailure(const char* what, const char* path, int exitCode)
{
    return ChildError{what, path, errno, exitCode};
}

namespace
{

void send(int socketFd, ChildMessage::Type type, const ChildError& error)
{
    ChildMessage message;
    message.type = type;
    message.exitCode = error.exitCode;
    message.errnum = error.errnum;
    copyText(message.what, sizeof message.what, error.what);
    copyText(message.path, sizeof message.path, error.path);
    [[maybe_unused]] ssize_t n = ::send(socketFd, &message, sizeof message, MSG_NOSIGNAL);
}

} // namespace

void reportChildError(int socketFd, const ChildError& error)
{
    send(socketFd, ChildMessage::Failure, error);
}

void reportChildNotice(int socketFd, const ChildError& notice)
{
    send(socketFd, ChildMessage::Notice, notice);
}

void reportPodFinished(int socketFd, int status)
{
    send(socketFd, ChildMessage::Finished, ChildError{nullptr, nullptr, 0, status});
}

char* formatDecimal(char* buf, size_t size, long value)
{
    char tmp[24];
    size_t n = 0;
    bool negative = value < 0;
    unsigned long v =
        negative ? static_cast<unsigned long>(-value) : static_cast<unsigned long>(value);
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof tmp);
    size_t i = 0;
    if (negative && i + 1 < size) buf[i++] = '-';
    while (n && i + 1 < size)
        buf[i++] = tmp[--n];
    buf[i] = '\0';
    return buf;
}

} // namespace berth
