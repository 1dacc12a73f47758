#pragma once

#include <utility>

namespace berth {

// Owns a file descriptor. `int` borrows; ownership moves through UniqueFd&&.
class UniqueFd
{
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept
    {
        reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    bool isValid() const { return fd_ >= 0; }
    explicit operator bool() const { return isValid(); }

    int release() { return std::exchange(fd_, -1); }
    // Closes the current fd (a close error is logged, never retried on EINTR).
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

} // namespace berth
