#pragma once

#include <berth/fetch/fetch_options.hpp>
#include <berth/run/plan.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth
{

// What the user asked for one app of the pod (`berth run` segments
// separated by `---`).
struct AppOptions {
    std::string image;                // IMAGE as typed
    std::vector<std::string> command; // replaces the image's Cmd (OCI) or exec args (ACI)
    std::optional<std::string> entrypoint;
    std::vector<std::string> env;      // -e K=V or -e K, in order
    std::vector<std::string> envFiles; // --env-file PATH, in order
    std::string user;                  // -u NAME|UID[:GROUP|GID]
    std::string workdir;               // -w DIR
    std::string name;                  // appc app name override
};

// What the user asked for the whole pod.
struct RunOptions {
    std::vector<AppOptions> apps;
    std::string rootfs; // --rootfs DIR: run a directory tree instead of an image
    bool interactive = false;
    bool tty = false;
    bool remove = false;
    bool readOnly = false;
    bool readOnlyTmpfs = true;
    bool privileged = false;
    bool keepId = false; // --userns=keep-id
    std::string name;
    std::string hostname;
    NetworkMode network = NetworkMode::None;
    std::vector<std::string> volumes;     // -v SRC:DST[:ro]
    std::vector<std::string> tmpfs;       // --tmpfs DST[:opts]
    std::vector<std::string> appcVolumes; // --volume NAME,kind=…
    std::string podManifest;              // --pod-manifest FILE: the apps come from it
    std::vector<std::string> capAdd;
    std::vector<std::string> capDrop;
    bool allowUnsigned = false; // --insecure-options=image
    // How images missing from the store are fetched (registries, https://
    // ACIs, appc discovery); `run` pulls only what is missing.
    FetchOptions fetch = defaultRunFetchOptions();

    static FetchOptions defaultRunFetchOptions()
    {
        FetchOptions options;
        options.pull = PullPolicy::New;
        return options;
    }
};

} // namespace berth
