#include "config.h"

#include <berth/stage/seccomp_deny_filter.hpp>
#include <cerrno>
#include <string>
#include <utility>

#if HAVE_SECCOMP
#include <seccomp.h>
#endif

namespace berth
{

SeccompDenyFilter::SeccompDenyFilter(SeccompDenyFilter&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr))
{
}

SeccompDenyFilter& SeccompDenyFilter::operator=(SeccompDenyFilter&& other) noexcept
{
    // `other` releases what this held.
    std::swap(ctx_, other.ctx_);
    return *this;
}

#if HAVE_SECCOMP

SeccompDenyFilter::~SeccompDenyFilter()
{
    if (ctx_) seccomp_release(ctx_);
}

Result<SeccompDenyFilter> SeccompDenyFilter::build(std::span<const char* const> syscalls,
                                                   std::span<const unsigned long> namespaceFlags)
{
    SeccompDenyFilter f(seccomp_init(SCMP_ACT_ALLOW));
    if (!f.ctx_) return Error("seccomp_init failed");
    // A binary search on the system call number rather than a list walked
    // in order: the kernel evaluates the program for every system call
    // number when it is loaded (to cache the ones always allowed), and the
    // app for every call it makes.
    (void)seccomp_attr_set(f.ctx_, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    // 32-bit system calls on x86_64 would otherwise bypass a native-only
    // filter (the default for a foreign ABI is to kill, which breaks i386
    // binaries instead of filtering them).
    if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
        (void)seccomp_arch_add(f.ctx_, SCMP_ARCH_X86);
        (void)seccomp_arch_add(f.ctx_, SCMP_ARCH_X32);
    }
    for (const char* name : syscalls) {
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) continue;
        if (int rc = seccomp_rule_add(f.ctx_, SCMP_ACT_ERRNO(EPERM), nr, 0); rc < 0 && rc != -EDOM)
            return Error::fromErrno(std::string("seccomp rule for ") + name, -rc);
    }
    // One rule per flag: rules for one system call are alternatives.
    for (unsigned long flag : namespaceFlags)
        if (int rc = seccomp_rule_add(f.ctx_, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                      SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
            rc < 0)
            return Error::fromErrno("seccomp rule for clone", -rc);
    if (int nr = seccomp_syscall_resolve_name("clone3"); nr != __NR_SCMP_ERROR)
        (void)seccomp_rule_add(f.ctx_, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
    return f;
}

Result<void> SeccompDenyFilter::load() const
{
    if (int rc = seccomp_load(ctx_); rc < 0) return Error::fromErrno("load seccomp filter", -rc);
    return ok();
}

#else

SeccompDenyFilter::~SeccompDenyFilter() = default;

Result<SeccompDenyFilter> SeccompDenyFilter::build(std::span<const char* const>,
                                                   std::span<const unsigned long>)
{
    return Error("berth was built without libseccomp");
}

Result<void> SeccompDenyFilter::load() const
{
    return Error("berth was built without libseccomp");
}

#endif

} // namespace berth
