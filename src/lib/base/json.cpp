#include <berth/base/json.hpp>

namespace berth {

Result<Json> parseJson(std::string_view text, std::string_view what)
{
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::exception& e) {
        return Error(std::string("malformed JSON in ") + std::string(what) + ": " + e.what());
    }
}

Result<std::string> jsonString(const Json& object, const char* key, std::string_view what)
{
    if (!object.is_object())
        return Error(std::string(what) + ": expected a JSON object");
    auto it = object.find(key);
    if (it == object.end())
        return Error(std::string(what) + ": missing \"" + key + "\"");
    if (!it->is_string())
        return Error(std::string(what) + ": \"" + key + "\" is not a string");
    return it->get<std::string>();
}

Result<std::string> jsonOptionalString(const Json& object, const char* key, std::string_view what,
                                       std::string fallback)
{
    if (!object.is_object())
        return Error(std::string(what) + ": expected a JSON object");
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return fallback;
    if (!it->is_string())
        return Error(std::string(what) + ": \"" + key + "\" is not a string");
    return it->get<std::string>();
}

Result<int64_t> jsonInteger(const Json& object, const char* key, std::string_view what)
{
    if (!object.is_object())
        return Error(std::string(what) + ": expected a JSON object");
    auto it = object.find(key);
    if (it == object.end())
        return Error(std::string(what) + ": missing \"" + key + "\"");
    if (!it->is_number_integer())
        return Error(std::string(what) + ": \"" + key + "\" is not an integer");
    return it->get<int64_t>();
}

} // namespace berth
