#include "stage_seccomp.hpp"

#include "config.h"

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

struct Filter {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    ~Filter()
    {
        if (ctx) seccomp_release(ctx);
    }
};

} // namespace

bool stageSeccompBuiltIn()
{
    return true;
}

Result<void> loadStageSeccomp(bool denyInet)
{
    Filter f;
    if (!f.ctx) return Error("seccomp_init failed");
    // 32-bit calls on x86_64 would otherwise pass a native-only filter.
    if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
        (void)seccomp_arch_add(f.ctx, SCMP_ARCH_X86);
        (void)seccomp_arch_add(f.ctx, SCMP_ARCH_X32);
    }
    for (const char* name : kDenied) {
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) continue;
        if (int rc = seccomp_rule_add(f.ctx, SCMP_ACT_ERRNO(EPERM), nr, 0); rc < 0 && rc != -EDOM)
            return Error::fromErrno(std::string("seccomp rule for ") + name, -rc);
    }
    // A stage makes no namespaces once its sandbox stands.
    for (unsigned long flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                               CLONE_NEWNET, CLONE_NEWCGROUP})
        if (int rc = seccomp_rule_add(f.ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                      SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
            rc < 0)
            return Error::fromErrno("seccomp rule for clone", -rc);
    // clone3 passes its flags in memory a filter cannot read: ENOSYS makes
    // libc fall back to clone, which the rules above see.
    if (int nr = seccomp_syscall_resolve_name("clone3"); nr != __NR_SCMP_ERROR)
        (void)seccomp_rule_add(f.ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
    if (denyInet) {
        for (int family : {AF_INET, AF_INET6, AF_PACKET})
            if (int rc = seccomp_rule_add(f.ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
                                          SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)));
                rc < 0)
                return Error::fromErrno("seccomp rule for socket", -rc);
    }
    if (int rc = seccomp_load(f.ctx); rc < 0) return Error::fromErrno("load seccomp filter", -rc);
    return ok();
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
