#pragma once

#include <berth/base/json.hpp>
#include <berth/base/result.hpp>
#include <berth/store/digest.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace berth
{

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct OciPlatform {
    std::string os;
    std::string architecture;
    std::string variant;
};

// An OCI content descriptor. Its digest has been validated (Digest::parse),
// so it is safe to use as a path; its size is non-negative.
struct OciDescriptor {
    std::string mediaType;
    Digest digest;
    int64_t size = 0;
    std::map<std::string, std::string> annotations;
    std::optional<OciPlatform> platform;

    std::string refName() const;
    Json toJson() const;
};

// Parses one descriptor of an untrusted document; `what` names it in errors.
Result<OciDescriptor> parseDescriptor(const Json& json, std::string_view what);
// An optional "annotations" (or "Labels") object of strings.
Result<std::map<std::string, std::string>> parseStringMap(const Json& object, const char* key,
                                                          std::string_view what);

} // namespace berth
