#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <vector>

namespace berth
{

// The Landlock ABI this kernel offers (1 = Linux 5.13 …), or 0 with
// `whyNot` saying why (the kernel lacks it, or it is not in the lsm= list).
int landlockAbi(std::string* whyNot = nullptr);

// Paths a stage may use; everything else in the file system is denied once
// the rules are applied. Paths that do not exist are skipped.
struct LandlockRules {
    std::vector<std::string> read;    // read files, list directories
    std::vector<std::string> execute; // read and execute (programs, libraries)
    std::vector<std::string> write;   // anything beneath (create, write, remove)
    std::vector<std::string> devices; // read, write and ioctl a device file (/dev/null)
    bool denyTcp = false;             // no TCP bind/connect at all (ABI >= 4)
    bool scope = true;                // no abstract UNIX sockets or signals outside (ABI >= 6)
};

// Restricts this process (and its future children) to `rules` with the best
// of `abi`. The caller must have set no_new_privs and be single-threaded:
// Landlock binds the calling thread only.
Result<void> applyLandlock(const LandlockRules& rules, int abi);

} // namespace berth
