#pragma once

#include <utility>

namespace berth {

// Runs a callable when the scope ends, unless release()d.
template <typename F> class ScopeExit
{
public:
    explicit ScopeExit(F f) : f_(std::move(f)) {}
    ScopeExit(const ScopeExit&) = delete;
    ScopeExit& operator=(const ScopeExit&) = delete;
    ~ScopeExit()
    {
        if (active_)
            f_();
    }
    void release() { active_ = false; }

private:
    F f_;
    bool active_ = true;
};

} // namespace berth
