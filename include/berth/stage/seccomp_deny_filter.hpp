#pragma once

#include <berth/base/result.hpp>
#include <span>

namespace berth
{

// A seccomp filter (libseccomp) that allows every system call but those it
// was built to deny: the shape of berth's two filters, the one a fetch,
// verify or render stage loads on itself (stage/stage_seccomp.cpp) and the
// containers' default (run/seccomp_filter.cpp), which differ in their lists.
// The caller adds rules of its own through context(), then loads or exports
// it; the filter is released when dropped.
class SeccompDenyFilter
{
public:
    // Native, x86 and x32 ABIs on x86_64. `syscalls` answer EPERM (names this
    // architecture lacks are skipped); clone with any of `namespaceFlags`
    // answers EPERM; clone3, whose flags sit in memory a filter cannot read,
    // answers ENOSYS so that libc falls back to clone. Fails in a build
    // without libseccomp.
    static Result<SeccompDenyFilter> build(std::span<const char* const> syscalls,
                                           std::span<const unsigned long> namespaceFlags);

    SeccompDenyFilter(SeccompDenyFilter&& other) noexcept;
    SeccompDenyFilter& operator=(SeccompDenyFilter&& other) noexcept;
    SeccompDenyFilter(const SeccompDenyFilter&) = delete;
    SeccompDenyFilter& operator=(const SeccompDenyFilter&) = delete;
    ~SeccompDenyFilter();

    // Loads the filter into the calling thread (and what it starts next);
    // needs no_new_privs.
    Result<void> load() const;

    // libseccomp's scmp_filter_ctx (a void*), kept out of this header so that
    // its users need not include seccomp.h.
    void* context() const { return ctx_; }

private:
    explicit SeccompDenyFilter(void* ctx) : ctx_(ctx) {}
    void* ctx_ = nullptr;
};

} // namespace berth
