#include <berth/base/log.hpp>
#include <berth/base/unique_fd.hpp>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace berth {

void UniqueFd::reset(int fd)
{
    int old = std::exchange(fd_, fd);
    if (old < 0)
        return;
    // On Linux the fd is gone even when close reports EINTR; retrying could
    // close an fd another thread just opened.
    if (::close(old) < 0 && errno != EINTR)
        logDebug("close fd {}: {}", old, std::strerror(errno));
}

} // namespace berth
