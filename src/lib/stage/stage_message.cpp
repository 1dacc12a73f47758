#include <berth/stage/stage_message.hpp>
#include <charconv>
#include <cstring>

namespace berth
{

void StageMessageWriter::put(std::string_view field)
{
    uint64_t size = field.size();
    out_.append(reinterpret_cast<const char*>(&size), sizeof size);
    out_.append(field);
}

Result<std::string_view> StageMessageReader::next()
{
    uint64_t size;
    if (in_.size() < sizeof size) return Error("a stage's answer is truncated");
    std::memcpy(&size, in_.data(), sizeof size);
    in_.remove_prefix(sizeof size);
    if (in_.size() < size) return Error("a stage's answer is truncated");
    std::string_view field = in_.substr(0, size);
    in_.remove_prefix(size);
    return field;
}

Result<int64_t> StageMessageReader::nextNumber()
{
    BERTH_TRY(std::string_view field, next());
    int64_t value = 0;
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec != std::errc() || end != field.data() + field.size())
        return Error("a stage's answer holds '" + std::string(field) + "' where a number belongs");
    return value;
}

} // namespace berth
