#pragma once

#include <berth/base/json.hpp>
#include <berth/base/result.hpp>
#include <berth/image/app_spec.hpp>
#include <berth/store/digest.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// The part of an OCI (or Docker) image config that says how to run it.
struct OciExecConfig {
    std::string user;
    std::vector<std::string> exposedPorts; // "80/tcp"
    std::vector<std::string> env;          // "KEY=VALUE"
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::vector<std::string> volumes;
    std::string workingDir;
    std::map<std::string, std::string> labels;
    std::string stopSignal;
};

struct OciImageConfig {
    std::string architecture;
    std::string os;
    std::string variant;
    std::string created;
    OciExecConfig config;
    std::vector<Digest> diffIds; // rootfs.diff_ids, bottom layer first
};

Result<OciImageConfig> parseOciConfig(std::string_view text, std::string_view what);

// What to run: `name` is the image's short name (the app name).
Result<AppSpec> appSpecFromOciConfig(const OciImageConfig& config, const std::string& name);

} // namespace berth
