#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth
{

// Standard base64 (RFC 4648 §4) with '=' padding, as Go's
// base64.StdEncoding writes it, which is what appc clients send back.
std::string base64Encode(std::string_view bytes);
// Strict: padding required, no whitespace, no URL-safe alphabet, and
// non-zero bits in the last character's unused part are refused, so that
// each byte string has exactly one accepted encoding.
std::optional<std::string> base64Decode(std::string_view text);

} // namespace berth
