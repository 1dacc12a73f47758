#pragma once

#include <string>
#include <vector>

namespace berth {

// An error carries errno (0 when there is none) and a context chain, outermost
// first, so that the one line a user sees reads "fetch 'x': open 'y': No such
// file or directory".
class Error
{
public:
    Error() = default;
    explicit Error(std::string message, int errnum = 0);

    // Captures the current errno (or the one given) with a description.
    static Error fromErrno(std::string what, int errnum);
    static Error fromErrno(std::string what);

    // Adds an outer layer of context.
    Error& addContext(std::string outer) &;
    Error&& addContext(std::string outer) &&;

    int errnum() const { return errnum_; }
    const std::vector<std::string>& chain() const { return chain_; }

    // The one line for the user: the chain joined by ": ", then strerror.
    std::string message() const;

private:
    std::vector<std::string> chain_;
    int errnum_ = 0;
};

} // namespace berth
