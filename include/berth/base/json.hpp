#pragma once

#include <berth/base/result.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace berth {

using Json = nlohmann::json;

// Parses JSON without letting an exception escape; `what` names the document
// in the error ("manifest sha256:…").
Result<Json> parseJson(std::string_view text, std::string_view what);

// Typed accessors for untrusted documents: a missing optional key gives the
// fallback, a key of the wrong type is an error naming the key.
Result<std::string> jsonString(const Json& object, const char* key, std::string_view what);
Result<std::string> jsonOptionalString(const Json& object, const char* key, std::string_view what,
                                       std::string fallback = {});
Result<int64_t> jsonInteger(const Json& object, const char* key, std::string_view what);

} // namespace berth
