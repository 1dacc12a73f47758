#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth
{

// Not named base64Encode/base64Decode: fetch's credentials.hpp has those, and
// a function's return type is not part of its linker name, so the program
// silently called fetch's Result-returning decoder where an optional was
// expected (every HMAC verification failed).
//
// Standard base64 (RFC 4648 §4) with '=' padding, as Go's
// base64.StdEncoding writes it, which is what appc clients send back.
std::string encodeBase64(std::string_view bytes);
// Strict: padding required, no whitespace, no URL-safe alphabet, and
// non-zero bits in the last character's unused part are refused, so that
// each byte string has exactly one accepted encoding.
std::optional<std::string> decodeBase64Strict(std::string_view text);

} // namespace berth
