#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace berth {

struct PortSpec {
    std::string name; // appc port name; empty for OCI
    std::string protocol = "tcp";
    uint16_t port = 0;
};

struct MountPointSpec {
    std::string name; // appc mount point name, or the OCI volume path
    std::string path;
    bool readOnly = false;
};

struct EventHandlerSpec {
    std::string name; // "pre-start" or "post-stop"
    std::vector<std::string> exec;
};

// What to run, built from either an OCI image config or an ACI manifest.
// Values are as the image states them; `user`/`group` are resolved against
// the rendered root filesystem at run time (names, numbers, or appc "/path").
struct AppSpec {
    std::string name; // appc app name; for OCI the image's short name
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd; // OCI Cmd; for ACI `exec` lives in entrypoint
    std::vector<std::pair<std::string, std::string>> env;
    std::string user;
    std::string group;
    std::vector<uint32_t> supplementaryGids;
    std::string workingDirectory;
    std::vector<PortSpec> ports;
    std::vector<MountPointSpec> mountPoints;
    std::vector<EventHandlerSpec> eventHandlers;
    std::map<std::string, std::string> isolators; // name → raw JSON value
    std::map<std::string, std::string> annotations;
    std::map<std::string, std::string> labels;
    std::string stopSignal;
};

} // namespace berth
