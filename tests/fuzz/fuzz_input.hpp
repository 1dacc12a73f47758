#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

// What every harness starts from: the fuzzer's bytes as text, and a way to
// cut them into the several documents some parsers take together.
namespace berth::fuzz
{

inline std::string_view text(const uint8_t* data, size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

// Splits at the first `separator`: the part before it and the rest (all of
// `input` and an empty rest when there is none). Seeds use it to hold two
// documents in one file.
inline std::pair<std::string_view, std::string_view> cut(std::string_view input,
                                                         std::string_view separator)
{
    auto at = input.find(separator);
    if (at == std::string_view::npos) return {input, {}};
    return {input.substr(0, at), input.substr(at + separator.size())};
}

} // namespace berth::fuzz
