#pragma once

#include <berth/base/result.hpp>
#include <berth/image/app_spec.hpp>
#include <berth/image/image_record.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth
{

class Store;

// appc (App Container) manifests, read as leniently as the appc reference
// code reads them (github.com/appc/spec/schema): unknown keys are ignored,
// `null` means absent, keys match case-insensitively when no exact match
// exists (Go's encoding/json does this, which is why both
// "supplementaryGIDs" and "supplementaryGids" are found), and exactly the
// reference's rules are enforced, no more. Nothing here touches the disk.

// Ordered name/value pairs: appc labels, annotations and environments are
// JSON lists whose order is kept.
using AciNameValues = std::vector<std::pair<std::string, std::string>>;

struct AciEventHandler {
    std::string name; // "pre-start" or "post-stop"
    std::vector<std::string> exec;
};

struct AciMountPoint {
    std::string name; // AC Name
    std::string path;
    bool readOnly = false;
};

struct AciPort {
    std::string name; // AC Name (may be empty, as the reference allows)
    std::string protocol;
    uint16_t port = 0;
    uint32_t count = 1; // a range port..port+count-1; 0 in JSON means 1
    bool socketActivated = false;
};

struct AciIsolator {
    std::string name;     // AC Identifier, e.g. "resource/memory"
    std::string rawValue; // the "value" member as compact JSON
};

struct AciApp {
    std::vector<std::string> exec;
    std::string user;  // required: a name, a number, or "/path" (owner of)
    std::string group; // required, likewise
    std::vector<uint32_t> supplementaryGids;
    std::string workingDirectory; // absolute when set
    AciNameValues environment;
    std::vector<AciEventHandler> eventHandlers;
    std::vector<AciMountPoint> mountPoints;
    std::vector<AciPort> ports;
    std::vector<AciIsolator> isolators;
    std::map<std::string, std::string> userAnnotations;
    std::map<std::string, std::string> userLabels;
};

struct AciImageDependency {
    std::string imageName;              // AC Identifier
    std::optional<std::string> imageId; // "sha512-HEX", HEX possibly shortened
    AciNameValues labels;
    uint64_t size = 0;

    AciDependency toRecord() const { return AciDependency{imageName, imageId, labels}; }
};

struct AciImageManifest {
    std::string acVersion;
    std::string name; // AC Identifier
    AciNameValues labels;
    std::optional<AciApp> app;
    AciNameValues annotations;
    std::vector<AciImageDependency> dependencies;
    std::vector<std::string> pathWhitelist;

    std::optional<std::string> label(std::string_view labelName) const;
    std::optional<std::string> annotation(std::string_view annotationName) const;
};

// Pod manifests (`berth run --pod-manifest FILE`).

struct AciVolume {
    std::string name;   // AC Name
    std::string kind;   // "host" or "empty"
    std::string source; // host: an absolute path
    std::optional<bool> readOnly;
    std::optional<bool> recursive;
    // kind=empty only; defaulted as the reference does.
    std::string mode = "0755";
    int64_t uid = 0;
    int64_t gid = 0;
};

struct AciPodMount {
    std::string volume; // AC Name
    std::string path;
    std::optional<AciVolume> appVolume;
};

struct AciRuntimeImage {
    std::optional<std::string> name;
    std::string id; // "sha512-HEX", possibly shortened; empty when absent
    AciNameValues labels;
};

struct AciRuntimeApp {
    std::string name; // AC Name, unique in the pod
    AciRuntimeImage image;
    std::optional<AciApp> app; // overrides the image's app when present
    bool readOnlyRootFs = false;
    std::vector<AciPodMount> mounts;
    AciNameValues annotations;
};

struct AciExposedPort {
    std::string name; // AC Name
    uint16_t hostPort = 0;
    std::string hostIp;
    std::optional<AciPort> podPort;
};

struct AciPodManifest {
    std::string acVersion;
    std::vector<AciRuntimeApp> apps;
    std::vector<AciVolume> volumes;
    std::vector<AciIsolator> isolators;
    AciNameValues annotations;
    std::vector<AciExposedPort> ports;
    std::map<std::string, std::string> userAnnotations;
    std::map<std::string, std::string> userLabels;
};

// Parsers for untrusted documents. Errors read
// "image manifest: app: ports[1]: port must be in 1-65535 range".
Result<AciImageManifest> parseAciImageManifest(std::string_view json);
Result<AciPodManifest> parseAciPodManifest(std::string_view json);

// Serializes an image manifest in the appc spelling ("supplementaryGIDs"),
// for building ACIs (image export). Empty optional members are left out.
std::string serializeAciImageManifest(const AciImageManifest& manifest);

// The manifest of an ACI already in the store (its manifestDigest blob).
Result<AciImageManifest> readAciManifest(const Store& store, const ImageRecord& image);

// What to run. `appName` is the pod's name for the app; when empty, one is
// derived from the image name's last component.
AppSpec appSpecFromAciManifest(const AciImageManifest& manifest, std::string appName = {});
// Applies a pod manifest app override on top of an image's AppSpec.
AppSpec appSpecFromAciApp(const AciApp& app, AppSpec base);

// appc identifier rules (types.ACIdentifier, types.ACName).
bool isValidAcIdentifier(std::string_view text);
bool isValidAcName(std::string_view text);
// Lowercases and replaces what is not allowed ("_" for identifiers, "-" for
// names), trimming separators from the edges; empty when nothing is left.
std::string sanitizeAcIdentifier(std::string_view text);
std::string sanitizeAcName(std::string_view text);
// appc os/arch label pairs the reference accepts (linux: amd64, i386,
// aarch64, …). OCI architecture names map with ociArchToAppc ("arm64" →
// "aarch64"); unknown ones are returned unchanged.
bool isValidAcOsArch(std::string_view os, std::string_view arch);
std::string ociArchToAppc(std::string_view arch, std::string_view variant = {});

} // namespace berth
