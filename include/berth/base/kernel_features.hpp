#pragma once

#include <string>

namespace berth {

// What this kernel offers, probed at run time (each probe is cheap and has
// no lasting effect). Reported by `berth version` and `berth info`.
struct KernelFeatures {
    bool userNamespaces = false;  // max_user_namespaces > 0 and not restricted
    std::string userNamespaceNote;
    bool overlayInUserNamespace = false; // Linux >= 5.11 allows it
    int landlockAbi = 0;                 // 0 when absent
    bool seccomp = false;
    bool openat2 = false;
    bool clone3 = false;
    std::string kernelRelease;

    static KernelFeatures probe();
};

} // namespace berth
