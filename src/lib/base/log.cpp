#include <berth/base/log.hpp>
#include <berth/base/printable.hpp>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace berth
{

namespace
{
LogLevel currentLevel = LogLevel::Info;
}

void setLogLevel(LogLevel level)
{
    currentLevel = level;
}

LogLevel logLevel()
{
    return currentLevel;
}

void logMessage(LogLevel level, std::string_view text)
{
    if (level < currentLevel && level != LogLevel::Error) return;
    std::string line = "berth: ";
    if (level == LogLevel::Warning)
        line += "warning: ";
    else if (level == LogLevel::Debug)
        line += "debug: ";
    // Messages carry names and text from images and servers: escape them
    // so that one message stays one line and cannot drive the terminal.
    line += printable(text);
    line += '\n';
    // One write(2) so that lines from concurrent processes do not interleave.
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

} // namespace berth
