#pragma once

#include <fmt/format.h>

#include <string_view>

namespace berth {

enum class LogLevel { Debug, Info, Warning, Error };

// Messages go to stderr with a "berth: " prefix. Info is silenced by --quiet,
// Debug is shown only with --debug.
void setLogLevel(LogLevel level);
LogLevel logLevel();
void logMessage(LogLevel level, std::string_view text);

template <typename... Args> void logDebug(fmt::format_string<Args...> f, Args&&... args)
{
    if (logLevel() <= LogLevel::Debug)
        logMessage(LogLevel::Debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args> void logInfo(fmt::format_string<Args...> f, Args&&... args)
{
    if (logLevel() <= LogLevel::Info)
        logMessage(LogLevel::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args> void logWarning(fmt::format_string<Args...> f, Args&&... args)
{
    logMessage(LogLevel::Warning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args> void logError(fmt::format_string<Args...> f, Args&&... args)
{
    logMessage(LogLevel::Error, fmt::format(f, std::forward<Args>(args)...));
}

} // namespace berth
