#pragma once

#include <cstddef>
#include <cstdint>
#include <limits.h>

namespace berth
{

// What a pod process tells stage0 over the sync socket. Fixed-size, so a
// child can fill it without allocating (it runs between clone and execve)
// and a SOCK_SEQPACKET send is one message.
struct ChildMessage {
    enum Type : uint32_t {
        Failure = 1,          // set-up or exec failed: print, the pod exits with exitCode
        TtyMaster = 2,        // the app's pty master comes with it (SCM_RIGHTS)
        TtyAck = 3,           // stage0 → app: the window size is set, go on
        Notice = 4,           // a choice the user must hear of (a fallback): printed as a warning
        MetadataListener = 5, // the appc metadata service's socket (SCM_RIGHTS)
        Finished = 6,         // the apps are done: exitCode is the pod's; init is leaving
    };
    uint32_t type = Failure;
    int32_t exitCode = 125;
    int32_t errnum = 0;
    char what[96] = {};
    char path[PATH_MAX] = {};
};

// A failed child-side step: static text, a path from the plan, and errno.
// Returned by every step between clone and execve; empty means success.
struct ChildError {
    const char* what = nullptr;
    const char* path = nullptr;
    int errnum = 0;
    int exitCode = 125;

    explicit operator bool() const { return what != nullptr; }
};

// Records errno with `what` and `path` (async-signal-safe).
ChildError childFailure(const char* what, const char* path = nullptr, int exitCode = 125);

// Sends a failure to stage0 (async-signal-safe; errors are ignored since
// the exit status still tells).
void reportChildError(int socketFd, const ChildError& error);

// Sends a notice (a fallback taken) to stage0 (async-signal-safe).
void reportChildNotice(int socketFd, const ChildError& notice);

// Tells stage0 the pod's exit status as init is about to exit with it
// (async-signal-safe).
void reportPodFinished(int socketFd, int status);

// Writes a decimal number into buf (async-signal-safe); returns buf.
char* formatDecimal(char* buf, size_t size, long value);

} // namespace berth
