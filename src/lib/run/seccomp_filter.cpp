#include "config.h"

#include <berth/base/file.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/run/seccomp_filter.hpp>
#include <berth/stage/seccomp_deny_filter.hpp>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#if HAVE_SECCOMP
#include <seccomp.h>
#endif

namespace berth
{

#if HAVE_SECCOMP

namespace
{

// Denied with EPERM. Unknown names on this architecture are skipped.
constexpr const char* kDenied[] = {
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "get_kernel_syms",
    "get_mempolicy",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mbind",
    "mount",
    "mount_setattr",
    "move_mount",
    "move_pages",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pivot_root",
    "quotactl",
    "quotactl_fd",
    "reboot",
    "request_key",
    "set_mempolicy",
    "setns",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "sysfs",
    "syslog",
    "_sysctl",
    "umount",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
    "fanotify_init",
};

// clone with a namespace flag: a container makes no new namespaces.
constexpr unsigned long kNamespaceFlags[] = {CLONE_NEWNS,     CLONE_NEWUTS, CLONE_NEWIPC,
                                             CLONE_NEWUSER,   CLONE_NEWPID, CLONE_NEWNET,
                                             CLONE_NEWCGROUP, CLONE_NEWTIME};

} // namespace

Result<SeccompProgram> compileDefaultSeccompProgram()
{
    BERTH_TRY(SeccompDenyFilter filter, SeccompDenyFilter::build(kDenied, kNamespaceFlags));

    auto memfd = ::memfd_create("berth-seccomp", MFD_CLOEXEC);
    if (memfd < 0) return Error::fromErrno("memfd_create");
    UniqueFd fd(memfd);
    if (int rc = seccomp_export_bpf(filter.context(), fd.get()); rc < 0)
        return Error::fromErrno("seccomp_export_bpf", -rc);
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) return Error::fromErrno("lseek");
    BERTH_TRY(std::string bytes, readAll(fd.get(), 1 << 20));
    SeccompProgram program;
    program.instructions.resize(bytes.size() / sizeof(sock_filter));
    std::memcpy(program.instructions.data(), bytes.data(),
                program.instructions.size() * sizeof(sock_filter));
    return program;
}

#else

Result<SeccompProgram> compileDefaultSeccompProgram()
{
    return SeccompProgram{};
}

#endif

#if BERTH_PRECOMPILED_SECCOMP

namespace
{

// What compileDefaultSeccompProgram gave when berth was built (meson runs
// seccomp-program-gen, which is this file and the same libseccomp): the
// program depends on nothing but the lists above and the architecture.
// Compiling it cost every `berth run` about 0.4 ms.
constexpr sock_filter kPrecompiled[] = {
#include "default_seccomp_program.inc"
};

} // namespace

Result<SeccompProgram> buildDefaultSeccompProgram()
{
    return SeccompProgram{{std::begin(kPrecompiled), std::end(kPrecompiled)}};
}

#else

Result<SeccompProgram> buildDefaultSeccompProgram()
{
    return compileDefaultSeccompProgram();
}

#endif

int loadSeccompProgram(const SeccompProgram& program)
{
    if (program.empty()) return 0;
    sock_fprog prog{static_cast<unsigned short>(program.instructions.size()),
                    const_cast<sock_filter*>(program.instructions.data())};
    return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

} // namespace berth
