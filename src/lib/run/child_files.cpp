#include "child_files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

namespace berth
{

bool joinPath(char (&out)[PATH_MAX], std::string_view dir, std::string_view name)
{
    if (dir.size() + 1 + name.size() + 1 > sizeof out) return false;
    std::memcpy(out, dir.data(), dir.size());
    out[dir.size()] = '/';
    std::memcpy(out + dir.size() + 1, name.data(), name.size());
    out[dir.size() + 1 + name.size()] = '\0';
    return true;
}

bool writeNewFile(const char* path, std::string_view content)
{
    int fd = ::open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int saved = n == 0 ? EIO : errno;
            ::close(fd);
            errno = saved;
            return false;
        }
        done += static_cast<size_t>(n);
    }
    ::close(fd);
    return true;
}

} // namespace berth
