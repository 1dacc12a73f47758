#include <berth/stage/loopback.hpp>
#include <cerrno>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace berth
{

int bringLoopbackUp()
{
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    ifreq ifr{};
    __builtin_memcpy(ifr.ifr_name, "lo", 3);
    int rc = ::ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        rc = ::ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int err = rc < 0 ? errno : 0;
    ::close(fd);
    return err;
}

} // namespace berth
