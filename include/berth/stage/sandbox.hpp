#pragma once

#include <berth/base/result.hpp>
#include <berth/stage/landlock.hpp>
#include <string>

namespace berth
{

// What a stage (fetch, verify, render) may do, applied by the stage itself
// first thing after it is forked from stage0 (docs/architecture.md, "The four stages").
struct SandboxPolicy {
    std::string stage; // "fetch", "verify", "render": names it in messages
    LandlockRules paths;
    // No network: seccomp answers EPERM to socket(AF_INET/AF_INET6/AF_PACKET)
    // and Landlock (ABI >= 4) denies every TCP bind and connect.
    bool denyNetwork = false;
    // Unshare a network namespace with no interfaces but a down loopback.
    // Unprivileged, that takes a user namespace mapping only the caller's
    // own ids (so files keep their owner); where neither works the stage
    // goes on with denyNetwork's filters and says so.
    bool newNetworkNamespace = false;
    // The stage links and renames across directories, which Landlock ABI 1
    // cannot allow (no REFER right): there the stage runs without Landlock.
    bool needsRefer = false;
};

// Which protections a stage ended up with; a note says why one is missing
// and what would give it.
struct SandboxReport {
    bool noNewPrivs = false;
    int landlockAbi = 0; // 0: none
    std::string landlockNote;
    bool seccomp = false;
    std::string seccompNote;
    bool networkNamespace = false;
    std::string networkNote; // also set when the policy asks for none
};

// Applies `policy` to the calling process, in this order: no_new_privs
// (so nothing exec'd can gain privilege, and seccomp and Landlock may be
// loaded unprivileged), the network namespace (before seccomp forbids
// unshare), Landlock, seccomp. A protection the kernel lacks is recorded in
// the report, not an error; a protection that fails to apply is an error.
// Call only in a single-threaded child.
Result<SandboxReport> applySandbox(const SandboxPolicy& policy);

// What applySandbox would give here, for `berth info`: probes without
// restricting this process (the network namespace by a short-lived child).
SandboxReport probeSandbox(const SandboxPolicy& policy);

} // namespace berth
