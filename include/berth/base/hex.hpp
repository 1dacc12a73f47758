#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace berth
{

// Lower-case hex of `size` bytes: digests, random names, signatures.
std::string hexEncode(const void* data, size_t size);
inline std::string hexEncode(std::string_view bytes)
{
    return hexEncode(bytes.data(), bytes.size());
}

} // namespace berth
