#pragma once

#include <berth/base/result.hpp>
#include <linux/filter.h>
#include <vector>

namespace berth
{

// A compiled seccomp BPF program, built in stage0 (libseccomp allocates) and
// loaded in the child with one prctl right before execve.
struct SeccompProgram {
    std::vector<sock_filter> instructions;
    bool empty() const { return instructions.empty(); }
};

// berth's default filter: a deny list of what a container never needs and
// what widens the kernel's attack surface (module loading, kexec, keyrings,
// bpf, perf, userfaultfd, new mount API, namespace creation, clock setting,
// …), answered with EPERM; clone3 answers ENOSYS so libc falls back to
// clone, whose namespace flags can be inspected. Native, x86 and x32 ABIs.
// Compiled when berth was built (where meson could run the compiler), else
// now; empty in a build without libseccomp.
Result<SeccompProgram> buildDefaultSeccompProgram();

// The same program compiled now with libseccomp: what the build embeds, and
// what a test compares the embedded one with.
Result<SeccompProgram> compileDefaultSeccompProgram();

// Loads the program into the calling process (async-signal-safe). Needs
// no_new_privs or CAP_SYS_ADMIN in the current user namespace.
int loadSeccompProgram(const SeccompProgram& program);

} // namespace berth
