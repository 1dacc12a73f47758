#include <berth/base/kernel_features.hpp>

#include <berth/base/file.hpp>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

namespace berth {

namespace {

bool kernelAtLeast(const std::string& release, int major, int minor)
{
    int a = 0, b = 0;
    if (std::sscanf(release.c_str(), "%d.%d", &a, &b) != 2)
        return false;
    return a > major || (a == major && b >= minor);
}

} // namespace

KernelFeatures KernelFeatures::probe()
{
    KernelFeatures f;
    utsname u;
    if (::uname(&u) == 0)
        f.kernelRelease = u.release;

    f.userNamespaces = true;
    if (auto max = readFile("/proc/sys/user/max_user_namespaces"); max && max->starts_with("0")) {
        f.userNamespaces = false;
        f.userNamespaceNote = "user.max_user_namespaces is 0";
    }
    if (auto v = readFile("/proc/sys/kernel/unprivileged_userns_clone"); v && v->starts_with("0")) {
        f.userNamespaces = false;
        f.userNamespaceNote = "kernel.unprivileged_userns_clone is 0";
    }
    if (auto v = readFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
        v && v->starts_with("1")) {
        f.userNamespaces = false;
        f.userNamespaceNote = "AppArmor restricts unprivileged user namespaces";
    }
    // Unprivileged overlay mounts inside a user namespace arrived in 5.11.
    f.overlayInUserNamespace = f.userNamespaces && kernelAtLeast(f.kernelRelease, 5, 11);

    long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    f.landlockAbi = abi > 0 ? static_cast<int>(abi) : 0;

    f.seccomp = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;

    open_how how{};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT;
    long fd = ::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
    if (fd >= 0) {
        f.openat2 = true;
        ::close(static_cast<int>(fd));
    }
    // clone3 with a null argument fails with EFAULT/EINVAL when it exists.
    f.clone3 = ::syscall(SYS_clone3, nullptr, 0) < 0 && errno != ENOSYS;
    return f;
}

} // namespace berth
