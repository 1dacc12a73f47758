#include "engine_exec.hpp"

#include "config.h"

#include <berth/base/log.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <unistd.h>

namespace berth::cli
{

namespace
{

// Beside the front in a build tree; in libexecdir once installed.
std::string enginePath()
{
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        std::string dir(self, static_cast<size_t>(n));
        dir.erase(dir.rfind('/') + 1);
        std::string sibling = dir + "berth-engine";
        if (::access(sibling.c_str(), X_OK) == 0) return sibling;
    }
    return BERTH_ENGINE_PATH;
}

} // namespace

int execEngine(char** argv)
{
    std::string path = enginePath();
    ::execv(path.c_str(), argv);
    logError("cannot start the berth engine '{}': {} (reinstall berth)", path,
             std::strerror(errno));
    return 125;
}

} // namespace berth::cli
