#include "config.h"

#include <berth/stage/fault_hook.hpp>

#if BERTH_FAULT_HOOKS
#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace berth
{

#if BERTH_FAULT_HOOKS

namespace
{

void report(std::string_view stage, const char* action, const std::string& target, int err)
{
    // strerrorname_np gives "EACCES", which a test can match exactly.
    const char* name = err ? ::strerrordesc_np(err) : nullptr;
    std::string line =
        fmt::format("berth: fault-hook {} {} {}: {}\n", stage, action, target,
                    err ? fmt::format("{} ({})", ::strerrorname_np(err), name ? name : "?")
                        : std::string("SUCCEEDED"));
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

void tryWrite(std::string_view stage)
{
    const char* env = std::getenv("BERTH_FAULT_WRITE");
    std::string path = env && *env ? env : "";
    if (path.empty()) {
        const char* home = std::getenv("HOME");
        if (!home || !*home) return;
        path = std::string(home) + "/.bashrc";
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        std::string line = fmt::format("# written by the berth {} stage's fault hook\n", stage);
        if (::write(fd, line.data(), line.size()) < 0) err = errno;
        ::close(fd);
    }
    report(stage, "write", path, err);
}

void tryRead(std::string_view stage)
{
    const char* path = std::getenv("BERTH_FAULT_READ");
    if (!path || !*path) return;
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        char byte;
        if (::read(fd, &byte, 1) < 0) err = errno;
        ::close(fd);
    }
    report(stage, "read", path, err);
}

void tryConnect(std::string_view stage)
{
    const char* port = std::getenv("BERTH_FAULT_CONNECT");
    if (!port || !*port) return;
    std::string target = std::string("127.0.0.1:") + port;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        report(stage, "connect", target, errno);
        return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::atoi(port)));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    report(stage, "connect", target, rc < 0 ? errno : 0);
    ::close(fd);
}

} // namespace

void runFaultHook(std::string_view stage)
{
    const char* which = std::getenv("BERTH_FAULT");
    if (!which || stage != which) return;
    tryWrite(stage);
    tryRead(stage);
    tryConnect(stage);
}

bool faultHooksBuiltIn()
{
    return true;
}

#else

void runFaultHook(std::string_view) {}

bool faultHooksBuiltIn()
{
    return false;
}

#endif

} // namespace berth
