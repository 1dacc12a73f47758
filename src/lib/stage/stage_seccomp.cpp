#include "stage_seccomp.hpp"

#include "config.h"

#include <berth/stage/seccomp_deny_filter.hpp>
#include <cerrno>
#include <sched.h>
#include <string>
#include <sys/socket.h>

#if HAVE_SECCOMP
#include <seccomp.h>
#endif

namespace berth
{

#if HAVE_SECCOMP

namespace
{

// Nothing a download, a gpg run or a layer extraction calls. Unknown names
// on this architecture are skipped.
constexpr const char* kDenied[] = {
    "acct",
    "add_key",
    "bpf",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "init_module",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "mount",
    "mount_setattr",
    "move_mount",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "quotactl",
    "reboot",
    "request_key",
    "setns",
    "swapoff",
    "swapon",
    "syslog",
    "umount2",
    "unshare",
    "userfaultfd",
};

// A stage makes no namespaces once its sandbox stands.
constexpr unsigned long kNamespaceFlags[] = {CLONE_NEWNS,    CLONE_NEWUTS, CLONE_NEWIPC,
                                             CLONE_NEWUSER,  CLONE_NEWPID, CLONE_NEWNET,
                                             CLONE_NEWCGROUP};

} // namespace

bool stageSeccompBuiltIn()
{
    return true;
}

Result<void> loadStageSeccomp(bool denyInet)
{
    BERTH_TRY(SeccompDenyFilter f, SeccompDenyFilter::build(kDenied, kNamespaceFlags));
    if (denyInet) {
        for (int family : {AF_INET, AF_INET6, AF_PACKET})
            if (int rc = seccomp_rule_add(f.context(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
                                          SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)));
                rc < 0)
                return Error::fromErrno("seccomp rule for socket", -rc);
    }
    return f.load();
}

#else

bool stageSeccompBuiltIn()
{
    return false;
}

Result<void> loadStageSeccomp(bool)
{
    return Error("berth was built without libseccomp");
}

#endif

} // namespace berth
