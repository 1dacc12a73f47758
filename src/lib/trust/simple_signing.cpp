#include <berth/base/json.hpp>
#include <berth/trust/simple_signing.hpp>
#include <set>
#include <vector>

namespace berth
{

namespace
{

constexpr const char* kType = "atomic container signature";

// Parses JSON refusing duplicate keys at any depth.
Result<Json> parseStrict(std::string_view text)
{
    std::vector<std::set<std::string>> keys;
    bool duplicate = false;
    std::string duplicateKey;
    auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
        switch (event) {
        case Json::parse_event_t::object_start:
            keys.emplace_back();
            break;
        case Json::parse_event_t::object_end:
            if (!keys.empty()) keys.pop_back();
            break;
        case Json::parse_event_t::key:
            if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
                duplicate = true;
                duplicateKey = parsed.get<std::string>();
            }
            break;
        default:
            break;
        }
        return true;
    };
    Json json;
    try {
        json = Json::parse(text.begin(), text.end(), callback);
    } catch (const Json::exception& e) {
        return Error(std::string("malformed JSON: ") + e.what());
    }
    if (duplicate) return Error("key \"" + duplicateKey + "\" appears twice");
    return json;
}

// Requires `object` to be an object with exactly the keys listed.
Result<void> exactFields(const Json& object, const char* where,
                         std::initializer_list<const char*> fields)
{
    if (!object.is_object()) return Error(std::string(where) + " is not a JSON object");
    for (const char* field : fields)
        if (!object.contains(field)) return Error(std::string(where) + " lacks \"" + field + "\"");
    for (const auto& item : object.items()) {
        bool known = false;
        for (const char* field : fields)
            known = known || item.key() == field;
        if (!known) return Error(std::string(where) + " has unknown field \"" + item.key() + "\"");
    }
    return ok();
}

} // namespace

Result<SimpleSigningClaim> parseSimpleSigningClaim(std::string_view payload)
{
    BERTH_TRY(Json json, parseStrict(payload));
    BERTH_CHECK(exactFields(json, "the signature claim", {"critical", "optional"}));
    const Json& critical = json["critical"];
    BERTH_CHECK(exactFields(critical, "\"critical\"", {"type", "image", "identity"}));
    if (!critical["type"].is_string() || critical["type"].get<std::string>() != kType)
        return Error("\"critical.type\" is not \"" + std::string(kType) + "\"");
    const Json& image = critical["image"];
    BERTH_CHECK(exactFields(image, "\"critical.image\"", {"docker-manifest-digest"}));
    const Json& identity = critical["identity"];
    BERTH_CHECK(exactFields(identity, "\"critical.identity\"", {"docker-reference"}));
    if (!image["docker-manifest-digest"].is_string())
        return Error("\"docker-manifest-digest\" is not a string");
    if (!identity["docker-reference"].is_string())
        return Error("\"docker-reference\" is not a string");

    auto digest = Digest::parse(image["docker-manifest-digest"].get<std::string>());
    if (!digest) return std::move(digest).error().addContext("\"docker-manifest-digest\"");
    SimpleSigningClaim claim{*digest, identity["docker-reference"].get<std::string>(), {}, 0};

    const Json& optional = json["optional"];
    if (!optional.is_object()) return Error("\"optional\" is not a JSON object");
    if (auto it = optional.find("creator"); it != optional.end()) {
        if (!it->is_string()) return Error("\"optional.creator\" is not a string");
        claim.creator = it->get<std::string>();
    }
    if (auto it = optional.find("timestamp"); it != optional.end()) {
        if (!it->is_number()) return Error("\"optional.timestamp\" is not a number");
        claim.timestamp =
            it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
    }
    return claim;
}

std::string makeSimpleSigningPayload(const Digest& manifestDigest,
                                     const std::string& dockerReference, const std::string& creator,
                                     int64_t timestamp)
{
    Json json = {
        {"critical",
         {{"type", kType},
          {"image", {{"docker-manifest-digest", manifestDigest.str()}}},
          {"identity", {{"docker-reference", dockerReference}}}}},
        {"optional", {{"creator", creator}, {"timestamp", timestamp}}},
    };
    return json.dump();
}

} // namespace berth
