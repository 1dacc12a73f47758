#include <berth/base/log.hpp>
#include <berth/render/extract_limits.hpp>
#include <cerrno>
#include <cstdlib>

namespace berth
{

namespace
{

void override(const char* variable, uint64_t& limit)
{
    const char* text = std::getenv(variable);
    if (!text || !*text) return;
    char* end = nullptr;
    errno = 0;
    unsigned long long value = std::strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value == 0) {
        logWarning("ignoring {}={}: not a positive number", variable, text);
        return;
    }
    limit = value;
}

} // namespace

ExtractLimits ExtractLimits::fromEnvironment()
{
    ExtractLimits limits;
    override("BERTH_MAX_LAYER_ENTRIES", limits.maxEntries);
    override("BERTH_MAX_LAYER_BYTES", limits.maxBytes);
    override("BERTH_MAX_PATH_LENGTH", limits.maxPathLength);
    override("BERTH_MAX_INFLATE_RATIO", limits.maxInflateRatio);
    return limits;
}

} // namespace berth
