#pragma once

#include <berth/base/result.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth
{

// A stage's answer to stage0 as a sequence of byte strings, each preceded by
// its length: the fields may hold any bytes (an HTTP header from a hostile
// server, a signed payload), which JSON could not carry unchanged.
class StageMessageWriter
{
public:
    void put(std::string_view field);
    void put(int64_t number) { put(std::string_view(std::to_string(number))); }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class StageMessageReader
{
public:
    explicit StageMessageReader(std::string_view in) : in_(in) {}
    Result<std::string_view> next();
    Result<int64_t> nextNumber();
    bool atEnd() const { return in_.empty(); }

private:
    std::string_view in_;
};

} // namespace berth
