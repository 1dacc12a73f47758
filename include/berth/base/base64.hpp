#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>

namespace berth
{

// Standard base64 (RFC 4648 §4) with '=' padding, as Go's
// base64.StdEncoding writes it: what appc clients send back and what
// auth.json files hold.
std::string encodeBase64(std::string_view bytes);

// Strict: padding required, no whitespace, no URL-safe alphabet, and
// non-zero bits in the last character's unused part are refused, so that
// each byte string has exactly one accepted encoding.
Result<std::string> decodeBase64(std::string_view text);

} // namespace berth
