#pragma once

#include <berth/base/result.hpp>
#include <map>
#include <string>
#include <string_view>

namespace berth
{

// Decodes %XX escapes; with `plusIsSpace` (form bodies and queries) '+' is a
// space. A '%' not followed by two hex digits is an error, not passed on:
// the caller compares the result with secrets and names.
Result<std::string> percentDecode(std::string_view text, bool plusIsSpace = false);

// Parses an application/x-www-form-urlencoded body ("a=1&b=x%20y"). A key
// given twice is an error: a signature check must not depend on which of two
// values a parser happens to pick.
Result<std::map<std::string, std::string>> parseUrlEncodedForm(std::string_view body);

// The inverse, for clients and tests: escapes all but unreserved characters.
std::string urlEncodeFormValue(std::string_view value);

} // namespace berth
