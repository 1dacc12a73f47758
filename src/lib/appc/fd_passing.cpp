#include <arpa/inet.h>
#include <berth/appc/fd_passing.hpp>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace berth
{

int createLoopbackListenerRaw(uint16_t port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    // A pod restarted at once must not find its fixed port in TIME_WAIT.
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
        ::listen(fd, 64) < 0) {
        int err = errno;
        ::close(fd);
        return -err;
    }
    return fd;
}

int sendFdRaw(int channel, int fd)
{
    char byte = 'F';
    return sendFdRaw(channel, fd, &byte, 1);
}

int sendFdRaw(int channel, int fd, const void* data, size_t size)
{
    iovec iov{const_cast<void*>(data), size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    std::memset(control, 0, sizeof control);
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
    for (;;) {
        ssize_t n = ::sendmsg(channel, &message, MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(size)) return 0;
        if (n < 0 && errno == EINTR) continue;
        return n < 0 ? -errno : -EIO;
    }
}

Result<UniqueFd> createLoopbackListener(uint16_t port)
{
    int fd = createLoopbackListenerRaw(port);
    if (fd < 0) return Error::fromErrno("listen on 127.0.0.1:" + std::to_string(port), -fd);
    return UniqueFd(fd);
}

Result<void> sendFd(int channel, int fd)
{
    if (int rc = sendFdRaw(channel, fd); rc < 0)
        return Error::fromErrno("send a file descriptor", -rc);
    return ok();
}

Result<UniqueFd> receiveFd(int channel)
{
    char byte = 0;
    iovec iov{&byte, 1};
    // Room for several fds, so that a peer sending more than one cannot make
    // the kernel drop them silently: every one received is owned and closed.
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(channel, &message, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Error::fromErrno("receive a file descriptor");
    std::vector<UniqueFd> received;
    for (cmsghdr* h = CMSG_FIRSTHDR(&message); h; h = CMSG_NXTHDR(&message, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
            received.emplace_back(fd);
        }
    }
    if (n == 0 && received.empty())
        return Error("receive a file descriptor: the sender closed the channel");
    if (message.msg_flags & MSG_CTRUNC)
        return Error("receive a file descriptor: control data truncated");
    if (received.size() != 1)
        return Error("receive a file descriptor: expected one, got " +
                     std::to_string(received.size()));
    return std::move(received.front());
}

Result<uint16_t> listenerPort(int fd)
{
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return Error::fromErrno("getsockname");
    if (address.sin_family != AF_INET) return Error("listening socket is not IPv4");
    return ntohs(address.sin_port);
}

} // namespace berth
